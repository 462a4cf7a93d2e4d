import type { Socket } from 'node:net';
import { egressHostOf } from '../../network/egress-policy.js';
import type { OpenedUpstream } from './egress-connector.js';
import type { EgressProxyContext } from './egress-proxy-context.js';
import { joinSockets, readTunnelStart } from './egress-tunnel.js';
import { interceptTunnel } from './tls-interception.js';

/**
 * Runs a tunnel the policy allowed (after CONNECT or SOCKS): reads its first bytes; a TLS hello must
 * ask for the host the tunnel was opened to (no fronting another name behind an allowed one); a host
 * with domain secrets is intercepted (its placeholder replaced, see tls-interception.ts); anything
 * else is joined to the upstream byte for byte. Records the outcome.
 */
export async function startTunnel(
  context: EgressProxyContext,
  client: Socket,
  opened: OpenedUpstream,
  base: { at: number; method: string; host: string; port: number },
): Promise<void> {
  const record = (fields: {
    allowed: boolean;
    reason: string | null;
    bytesOut: number;
    bytesIn: number;
    intercepted: boolean;
  }) => context.record({ ...base, address: opened.address, status: null, ...fields });
  const start = await readTunnelStart(client);
  if (start.kind === 'failed') {
    opened.socket.destroy();
    client.destroy();
    record({ allowed: true, reason: start.reason, bytesOut: 0, bytesIn: 0, intercepted: false });
    return;
  }
  if (start.kind === 'tls' && start.serverName !== null) {
    const asked = egressHostOf(start.serverName);
    if (asked === null || asked.host !== opened.host.host) {
      opened.socket.destroy();
      client.destroy();
      record({
        allowed: false,
        reason: `the TLS server name '${start.serverName}' is not the host the tunnel was opened to (${opened.host.host})`,
        bytesOut: 0,
        bytesIn: 0,
        intercepted: false,
      });
      return;
    }
  }
  const policy = context.policy();
  const secrets = opened.host.isAddress ? [] : policy.secretsFor(opened.host.host);
  if (start.kind === 'tls' && secrets.length > 0 && context.interception !== null) {
    const traffic = await interceptTunnel(context.interception, client, opened, start.head, secrets);
    record({
      allowed: traffic.refusal === null,
      reason: traffic.refusal,
      bytesOut: traffic.bytesOut,
      bytesIn: traffic.bytesIn,
      intercepted: true,
    });
    return;
  }
  const traffic = await joinSockets(client, opened.socket, start.head);
  record({ allowed: true, reason: null, ...traffic, intercepted: false });
}
