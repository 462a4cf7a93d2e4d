import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { BerthConfig } from '../config/config-schema.js';
import type { ContainerEgressOptions } from '../containers/live-sandboxes.js';
import { EgressCeiling } from '../network/egress-policy.js';
import { builtEgressForwarder } from '../sandbox/egress/egress-forwarder-binary.js';
import { sandboxRunDir } from '../sandbox/select-driver.js';

/**
 * How this server's containers reach the network: the `network` ceiling, the CAs the proxies trust
 * upstream, the forwarder, and where the proxies' sockets live. As root that is under the sandbox run
 * directory in /run (root-owned, so nothing but the server can place a socket a sandbox would trust);
 * otherwise a folder of the server's user in the temporary directory, short enough for socket paths.
 */
export function containerNetwork(config: BerthConfig): Omit<ContainerEgressOptions, 'record'> {
  const { network } = config;
  const ceiling = EgressCeiling.parse(network);
  // loadConfig checked the same settings; a config built in code gets the same message.
  if ('errors' in ceiling) {
    const first = ceiling.errors[0];
    throw new Error(`network.${first?.path ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  const runDir = sandboxRunDir(config.dataDir);
  const uid = process.getuid?.() ?? 0;
  const directory =
    uid === 0 ? `${runDir}/egress` : join(tmpdir(), `berth-${uid}-${basename(runDir)}`, 'egress');
  return {
    ceiling,
    upstreamCAs: network.upstreamCAs === null ? [] : [network.upstreamCAs],
    directory,
    forwarder: builtEgressForwarder(),
  };
}
