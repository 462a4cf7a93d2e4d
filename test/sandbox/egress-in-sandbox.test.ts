import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import { EgressCeiling, type ContainerEgressPolicy } from '../../src/network/egress-policy.js';
import {
  builtEgressForwarder,
  stageEgressForwarder,
} from '../../src/sandbox/egress/egress-forwarder-binary.js';
import { egressEnvironment } from '../../src/sandbox/egress/egress-mount.js';
import { EgressProxy } from '../../src/sandbox/egress/egress-proxy.js';
import type { EgressRecord } from '../../src/network/egress-record.js';
import { resolveImage } from '../../src/sandbox/resolve-image.js';
import type { Sandbox, SandboxDriver } from '../../src/sandbox/sandbox-driver.js';
import { selectDriver } from '../../src/sandbox/select-driver.js';
import { ShellSession, type RunOptions } from '../../src/sandbox/shell-session.js';
import { FakeInternet } from '../support/fake-internet.js';
import { describeEachDriver } from '../support/sandbox-drivers-here.js';

const options: RunOptions = { timeoutMs: 30_000, maxOutputBytes: 256 * 1024 };
const api = 'api.example.test';
const other = 'other.example.test';
const unlisted = 'unlisted.example.test';
const secret = 'sk-live-egress-4242';

/**
 * Egress from inside a real sandbox on each driver: the forwarder, the proxy's sockets, the proxy
 * environment and the CA bundle, against "the internet" of sites on private addresses of this host.
 * The network namespace has only loopback; everything that leaves goes through the proxy.
 */
describeEachDriver('egress from inside a %s sandbox', (name) => {
  let dataDir: string;
  let driver: SandboxDriver;
  let sandbox: Sandbox;
  let session: ShellSession;
  let internet: FakeInternet;
  let proxy: EgressProxy;
  let policy: ContainerEgressPolicy;
  let egressRoot: string;
  const records: EgressRecord[] = [];
  // Fresh per run: cgroups are named by the id host-wide, and runs may overlap.
  const id = `cntr_egress_${name}_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    const forwarder = builtEgressForwarder();
    if (forwarder === null) throw new Error('dist/egress-forwarder is not built: run npm run build');
    internet = await FakeInternet.start([api, other, unlisted]);
    const ceiling = EgressCeiling.parse({
      allowedDomains: ['*'],
      deniedDomains: [],
      allowPrivateNetworks: internet.networks,
      hosts: internet.hosts,
    });
    if (!(ceiling instanceof EgressCeiling)) throw new Error('bad ceiling');
    policy = ceiling.narrow(
      {
        type: 'allowlist',
        allowed_domains: [api, other],
        domain_secrets: [{ domain: api, name: 'API_KEY', value: secret }],
      },
      'network_policy',
    );
    dataDir = mkdtempSync(join(tmpdir(), `berth-egress-${name}-`));
    egressRoot = mkdtempSync(join('/run', 'berth-egress-test-'));
    proxy = await EgressProxy.start({
      containerId: id,
      directory: join(egressRoot, id),
      policy,
      record: (record) => records.push(record),
      extraCAs: [internet.caPem],
    });
    const choice = await selectDriver({ ...defaultSandboxConfig, driver: name }, dataDir);
    if (!choice.driver) throw new Error(`driver ${name} unavailable: ${choice.reason}`);
    driver = choice.driver;
    const dir = join(dataDir, 'sandbox', 'containers', id);
    mkdirSync(dir, { recursive: true });
    sandbox = await driver.start({
      id,
      dir,
      image: await resolveImage(dataDir, 'host'),
      limits: { memoryBytes: 512 * 1024 ** 2, pids: 256, cpus: 1, diskBytes: 64 * 1024 ** 2 },
      egress: {
        socketDir: proxy.directory,
        forwarder: await stageEgressForwarder(forwarder, egressRoot),
        environment: [
          ...egressEnvironment(),
          ...Object.entries(policy.secretEnvironment()).map(([key, value]) => `${key}=${value}`),
        ],
      },
    });
    session = new ShellSession(sandbox.shellLauncher('default'));
  });

  afterAll(async () => {
    session?.close();
    await driver?.stop(id, join(dataDir, 'sandbox', 'containers', id));
    await driver?.close();
    await proxy?.close();
    await internet?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (egressRoot) rmSync(egressRoot, { recursive: true, force: true });
  });

  const run = async (command: string) => session.run(command, options);

  it('reaches an allowed HTTPS site with curl, python and through SOCKS', async () => {
    const viaCurl = await run(`curl -sS https://${other}/curl`);
    expect(viaCurl.stderr).toBe('');
    expect(JSON.parse(viaCurl.stdout)).toMatchObject({ site: other, scheme: 'https', url: '/curl' });
    const viaPython = await run(
      `python3 -c 'import urllib.request; print(urllib.request.urlopen("https://${other}/python").status)'`,
    );
    expect(viaPython.stdout).toBe('200\n');
    const viaSocks = await run(
      `curl -sS --proxy "$ALL_PROXY" https://${other}/socks -o /dev/null -w '%{http_code}'`,
    );
    expect(viaSocks.stdout).toBe('200');
    expect(internet.requestsTo(other).map((request) => request.url)).toEqual(['/curl', '/python', '/socks']);
  });

  it('puts the secret into requests to its domain, and the sandbox only ever sees the placeholder', async () => {
    const call = await run(`curl -sS -H "Authorization: Bearer $API_KEY" https://${api}/v1/models`);
    expect(call.stderr).toBe('');
    expect(internet.requestsTo(api)[0]?.headers.authorization).toBe(`Bearer ${secret}`);
    // Inside: the environment, every process's environ and the proxy's directory hold no secret and no key.
    const look = await run(
      `env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; ls -la /.berth/egress; cat /.berth/egress/*.pem`,
    );
    expect(look.stdout).not.toContain(secret);
    expect(look.stdout).toContain(policy.secretEnvironment()['API_KEY']);
    expect(look.stdout).not.toMatch(/PRIVATE KEY/);
    // The same placeholder sent to another allowed site arrives as the placeholder.
    await run(`curl -sS -H "Authorization: Bearer $API_KEY" https://${other}/leak -o /dev/null`);
    expect(JSON.stringify(internet.requestsTo(other))).not.toContain(secret);
  });

  it('refuses an unlisted site, and the refusal says why', async () => {
    const refused = await run(`curl -sS https://${unlisted}/ -o /dev/null -w '%{http_code}'; echo " $?"`);
    expect(refused.stdout).toMatch(/^(000 56|403 0)\n$/);
    expect(internet.requestsTo(unlisted)).toEqual([]);
    expect(records.some((record) => record.host === unlisted && !record.allowed)).toBe(true);
  });

  it('has no way around the proxy: no route, no resolver, no raw socket', async () => {
    const address = internet.hosts[other] ?? '';
    const direct = await run(
      `curl -sS --noproxy '*' --max-time 5 https://${address}/ -o /dev/null; echo "exit $?"; ` +
        `getent hosts ${other}; echo "resolve $?"; ` +
        `python3 -c 'import socket; socket.create_connection(("${address}", 443), 5)' 2>&1 | tail -1; ` +
        `python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)' 2>&1 | tail -1`,
    );
    expect(direct.stdout).toMatch(/exit (7|28)\n/);
    expect(direct.stdout).toContain('resolve 2');
    expect(direct.stdout).toMatch(/Network is unreachable|No route to host|timed out/);
    expect(direct.stdout).toMatch(/Operation not permitted|Permission denied/);
    expect(internet.requestsTo(other, 'https').filter((request) => request.url === '/')).toEqual([]);
  });
});
