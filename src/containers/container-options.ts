import { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';

/**
 * Options a container is created with that both `POST /v1/containers` and the shell tool's
 * `container_auto` environment take, validated the same way in both places.
 */
export const networkPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('disabled') }),
  z.strictObject({
    type: z.literal('allowlist'),
    allowed_domains: z.array(z.string().min(1)).min(1),
    domain_secrets: z.array(z.unknown()).optional(),
  }),
]);

export const memoryLimitSchema = z.enum(['1g', '4g', '16g', '64g']);

/**
 * Berth's containers have no network at all (no egress proxy yet), so an allowlist cannot be honoured:
 * it is refused rather than silently ignored.
 */
export function rejectUnsupportedNetworkPolicy(
  policy: z.infer<typeof networkPolicySchema> | undefined,
  param: string,
): void {
  if (policy?.type !== 'allowlist') return;
  throw new BerthError(
    'unsupported_parameter',
    'network_policy type "allowlist" is not supported yet: Berth has no egress proxy, so containers have no network access. Omit network_policy or use {"type":"disabled"}.',
    { param },
  );
}
