import { z } from 'zod';
import { responseCreateParamsSchema } from '../response-create-params.js';

/**
 * The body of `POST /v1/responses/compact` (OpenAI's `ResponseCompactParams`), validated strictly like a
 * create request's. The fields that only tune OpenAI's own service (caching, tiers, image policy) are
 * accepted and ignored, as create does, so unmodified clients keep working.
 */
export const responseCompactParamsSchema = z.strictObject({
  // Nullable in the SDK's type; null is answered as missing, which is what it means here.
  model: z.string().min(1).nullable(),
  input: responseCreateParamsSchema.shape.input.nullable(),
  instructions: z.string().nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  // Accepted and ignored: they tune OpenAI's hosted service, not the summary.
  prompt_cache_key: z.string().nullable().optional(),
  prompt_cache_options: z.record(z.string(), z.unknown()).nullable().optional(),
  prompt_cache_retention: responseCreateParamsSchema.shape.prompt_cache_retention,
  service_tier: z.string().nullable().optional(),
  image: z.unknown().optional(),
});

export type ResponseCompactParams = z.infer<typeof responseCompactParamsSchema>;
