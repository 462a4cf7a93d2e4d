// One container's egress proxy in a process of its own, as it runs in Berth's server process: allows
// both of egress.ts's names (at 127.0.0.1, let through by allowPrivateNetworks), with a domain secret
// for the second, and trusts the site's CA upstream (as `upstreamCAFile` would).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressCeiling } from '../src/network/egress-policy.js';
import { EgressProxy } from '../src/sandbox/egress/egress-proxy.js';
import { plainHost, secretHost, type ProxyMessage } from './egress-ipc.js';

const siteCA = await new Promise<string>((resolve) =>
  process.once('message', (message: { siteCA: string }) => resolve(message.siteCA)),
);
const ceiling = EgressCeiling.parse({
  allowedDomains: ['*'],
  deniedDomains: [],
  allowPrivateNetworks: ['127.0.0.1/32'],
  hosts: { [plainHost]: '127.0.0.1', [secretHost]: '127.0.0.1' },
});
if (!(ceiling instanceof EgressCeiling)) throw new Error(`bad ceiling: ${JSON.stringify(ceiling)}`);
const policy = ceiling.narrow(
  {
    type: 'allowlist',
    allowed_domains: [plainHost, secretHost],
    domain_secrets: [{ domain: secretHost, name: 'API_KEY', value: 'sk-bench' }],
  },
  'network_policy',
);
const directory = mkdtempSync(join(tmpdir(), 'berth-bench-egress-'));
let records = 0;
const proxy = await EgressProxy.start({
  containerId: 'cntr_bench',
  directory: join(directory, 'proxy'),
  policy,
  record: () => (records += 1),
  extraCAs: [siteCA],
});
const send = (message: ProxyMessage) => process.send?.(message);
send({
  type: 'ready',
  directory: proxy.directory,
  caPem: readFileSync(join(proxy.directory, 'ca.pem'), 'utf8'),
  placeholder: policy.secretEnvironment()['API_KEY'] ?? '',
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'records') send({ type: 'records', count: records });
});
process.on('disconnect', () => {
  void proxy.close().then(() => {
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  });
});
