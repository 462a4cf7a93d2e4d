import type { ContainerEgressPolicy } from '../../network/egress-policy.js';
import type { EgressRefusal, Resolve } from './egress-connector.js';
import type { EgressRecord, EgressRecorder } from '../../network/egress-record.js';
import type { Interception } from './tls-interception.js';

/** What each part of a container's proxy (HTTP, SOCKS, tunnels) needs. */
export interface EgressProxyContext {
  readonly policy: () => ContainerEgressPolicy;
  readonly record: EgressRecorder;
  readonly resolve: Resolve;
  /** How domains with secrets are intercepted; null where no CA could be made. */
  readonly interception: Interception | null;
}

/** The log record of a refusal. */
export function refusalRecord(
  base: { at: number; method: string; host: string; port: number },
  refusal: EgressRefusal,
  status: number | null,
): EgressRecord {
  return {
    ...base,
    allowed: false,
    reason: refusal.reason,
    address: refusal.address ?? null,
    status,
    bytesOut: 0,
    bytesIn: 0,
    intercepted: false,
  };
}

/** What the tool inside is told about a refusal. */
export function refusalText(host: string, port: number, refusal: EgressRefusal): string {
  return `Berth egress refused ${host}:${port}: ${refusal.reason}.`;
}
