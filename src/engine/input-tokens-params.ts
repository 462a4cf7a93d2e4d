import { z } from 'zod';
import { responseCreateParamsSchema } from './response-create-params.js';

/**
 * The body of `POST /v1/responses/input_tokens`: the create request's fields that shape what the model
 * sees, each nullable as OpenAI's `InputTokenCountParams` has them (null is answered as missing).
 */
export const inputTokensParamsSchema = responseCreateParamsSchema
  .pick({
    instructions: true,
    previous_response_id: true,
    conversation: true,
    tool_choice: true,
    text: true,
    reasoning: true,
    parallel_tool_calls: true,
    truncation: true,
  })
  .extend({
    model: z.string().min(1).nullable().optional(),
    input: responseCreateParamsSchema.shape.input.nullable(),
    tools: responseCreateParamsSchema.shape.tools.nullable(),
    tool_choice: responseCreateParamsSchema.shape.tool_choice.nullable(),
    personality: z.unknown().optional(),
  });
