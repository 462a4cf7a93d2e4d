import { z } from 'zod';

/**
 * Options a container is created with that both `POST /v1/containers` and the shell tool's
 * `container_auto` environment take, validated the same way in both places.
 */
export const networkPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('disabled') }),
  z.strictObject({
    type: z.literal('allowlist'),
    // Patterns and secrets are checked against the server's ceiling when the container is made
    // (`EgressCeiling.narrow`); here only their shape and size.
    allowed_domains: z.array(z.string().min(1).max(253)).min(1).max(256),
    domain_secrets: z
      .array(
        z.strictObject({
          domain: z.string().min(1).max(253),
          name: z.string().min(1).max(128),
          value: z
            .string()
            .min(1)
            .max(16 * 1024),
        }),
      )
      .max(64)
      .optional(),
  }),
]);

export const memoryLimitSchema = z.enum(['1g', '4g', '16g', '64g']);
