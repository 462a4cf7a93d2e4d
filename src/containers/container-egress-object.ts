import type { EgressLogEntry } from '../store/store.js';

/**
 * One entry of `GET /v1/containers/{id}/egress`, Berth's extension: a connection the container's
 * sandbox asked for, what the proxy decided and why, and what it carried. `created_at` is integer
 * Unix seconds like every OpenAI timestamp; `created_at_ms` keeps the order of a busy second.
 */
export function toContainerEgressObject(entry: EgressLogEntry): Record<string, unknown> & { id: string } {
  return {
    id: entry.id,
    object: 'container.egress',
    container_id: entry.containerId,
    response_id: entry.responseId,
    call_id: entry.callId,
    created_at: Math.floor(entry.at / 1000),
    created_at_ms: entry.at,
    method: entry.method,
    host: entry.host,
    port: entry.port,
    allowed: entry.allowed,
    reason: entry.reason,
    address: entry.address,
    status: entry.status,
    bytes_out: entry.bytesOut,
    bytes_in: entry.bytesIn,
    intercepted: entry.intercepted,
  };
}
