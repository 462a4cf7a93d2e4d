// npm run bench:egress — what the egress path adds: an HTTPS request on a new connection, and a
// 100 MB download, straight to an HTTPS server on this host against the same through the static
// forwarder and a container's egress proxy, tunnelled (a host without secrets) and intercepted (a
// host with a domain secret, TLS terminated by the proxy), interleaved in one run. The client runs
// on the host, where a sandbox's tools would run behind the forwarder; the sandbox's namespaces add
// nothing to a loopback hop. No root needed. See docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { EgressCeiling } from '../src/network/egress-policy.js';
import { EgressCertificateAuthority } from '../src/sandbox/egress/egress-certificate-authority.js';
import { builtEgressForwarder } from '../src/sandbox/egress/egress-forwarder-binary.js';
import { EgressProxy } from '../src/sandbox/egress/egress-proxy.js';
import { writeBenchmarkSection } from './benchmarks-doc.js';

const quick = process.argv.includes('--quick');
const requests = quick ? 100 : 1000;
const downloadBytes = 100 * 1024 * 1024;
const downloads = quick ? 1 : 5;
const plain = 'plain.bench.test';
const withSecret = 'secret.bench.test';

const forwarderBinary = builtEgressForwarder();
if (forwarderBinary === null) throw new Error('dist/egress-forwarder is not built: run npm run build');
const directory = mkdtempSync(join(tmpdir(), 'berth-bench-egress-'));

// The site: one HTTPS server on loopback answering both names, with a certificate from its own CA.
const siteAuthority = await EgressCertificateAuthority.create('bench-site');
const chunk = Buffer.alloc(256 * 1024, 120);
const site = createHttpsServer(await siteAuthority.leaf(plain), (req, res) => {
  const url = new URL(req.url ?? '/', 'https://site');
  req.resume();
  if (url.pathname === '/bytes') {
    const total = Number(url.searchParams.get('n'));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
site.addContext(withSecret, await siteAuthority.leaf(withSecret));
const sitePort = await listenOn(site, 0);

// The container's proxy, allowing both names (at 127.0.0.1, let through by allowPrivateNetworks).
const ceiling = EgressCeiling.parse({
  allowedDomains: ['*'],
  deniedDomains: [],
  allowPrivateNetworks: ['127.0.0.1/32'],
  hosts: { [plain]: '127.0.0.1', [withSecret]: '127.0.0.1' },
});
if (!(ceiling instanceof EgressCeiling)) throw new Error('bad ceiling');
const policy = ceiling.narrow(
  {
    type: 'allowlist',
    allowed_domains: [plain, withSecret],
    domain_secrets: [{ domain: withSecret, name: 'API_KEY', value: 'sk-bench' }],
  },
  'network_policy',
);
let records = 0;
const proxy = await EgressProxy.start({
  containerId: 'cntr_bench',
  directory: join(directory, 'proxy'),
  policy,
  record: () => (records += 1),
  extraCAs: [siteAuthority.certificatePem],
});
const proxyCA = readFileSync(join(proxy.directory, 'ca.pem'), 'utf8');

// The forwarder, as inside a sandbox, on a free port of the host's loopback.
const forwarderPort = await freePort();
const forwarder = spawn(forwarderBinary, [`${forwarderPort}=${proxy.directory}/http.sock`], {
  stdio: 'ignore',
});
await waitForPort(forwarderPort);

type Route = 'direct' | 'tunnelled' | 'intercepted';
const routes: Route[] = ['direct', 'tunnelled', 'intercepted'];

/** A TLS connection to the site for `route`: straight, or through CONNECT on the forwarder. */
async function connectFor(route: Route): Promise<Socket> {
  const host = route === 'intercepted' ? withSecret : plain;
  const ca = route === 'intercepted' ? proxyCA : siteAuthority.certificatePem;
  let raw: Socket | undefined;
  if (route !== 'direct') {
    raw = await new Promise<Socket>((resolve, reject) => {
      const connect = httpRequest({
        host: '127.0.0.1',
        port: forwarderPort,
        method: 'CONNECT',
        path: `${host}:${sitePort}`,
      });
      connect.once('connect', (response, socket) => {
        if (response.statusCode !== 200) reject(new Error(`CONNECT answered ${response.statusCode}`));
        else resolve(socket);
      });
      connect.once('error', reject);
      connect.end();
    });
  }
  return new Promise<Socket>((resolve, reject) => {
    const tls = tlsConnect({
      ...(raw ? { socket: raw } : { host: '127.0.0.1', port: sitePort }),
      servername: host,
      ca,
      ALPNProtocols: ['http/1.1'],
    });
    tls.once('secureConnect', () => resolve(tls));
    tls.once('error', reject);
  });
}

/** One GET on a new connection; resolves with the body's length. */
async function get(route: Route, path: string): Promise<number> {
  const socket = await connectFor(route);
  const host = route === 'intercepted' ? withSecret : plain;
  return new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port: sitePort,
        path,
        createConnection: () => socket,
        headers: route === 'intercepted' ? { authorization: `Bearer ${placeholder()}` } : {},
        agent: false,
      },
      (res) => {
        let length = 0;
        res.on('data', (data: Buffer) => (length += data.length));
        res.on('end', () => {
          socket.destroy();
          resolve(length);
        });
        res.on('error', reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

function placeholder(): string {
  return policy.secretEnvironment()['API_KEY'] ?? '';
}

// Warm up every route (JIT, the proxy's certificate cache, the upstream agent).
for (let index = 0; index < 50; index += 1) for (const route of routes) await get(route, '/');

const latencies: Record<Route, number[]> = { direct: [], tunnelled: [], intercepted: [] };
for (let index = 0; index < requests; index += 1) {
  for (const route of routes) {
    const started = performance.now();
    await get(route, '/');
    latencies[route].push(performance.now() - started);
  }
}

const throughput: Record<Route, number[]> = { direct: [], tunnelled: [], intercepted: [] };
for (let index = 0; index < downloads; index += 1) {
  for (const route of routes) {
    const started = performance.now();
    const length = await get(route, `/bytes?n=${downloadBytes}`);
    if (length !== downloadBytes) throw new Error(`${route}: got ${length} of ${downloadBytes} bytes`);
    throughput[route].push(downloadBytes / 1024 ** 2 / ((performance.now() - started) / 1000));
  }
}

forwarder.kill('SIGKILL');
await proxy.close();
site.closeAllConnections();
site.close();
rmSync(directory, { recursive: true, force: true });

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const median = (values: readonly number[]) => percentile(values, 50);
const ms = (value: number) => value.toFixed(2);
const directP50 = median(latencies.direct);
const directMBs = median(throughput.direct);

const rows = routes.map((route) => {
  const values = latencies[route];
  const added = route === 'direct' ? '—' : `+${ms(median(values) - directP50)}`;
  const rate = median(throughput[route]);
  const share = route === 'direct' ? '—' : `${Math.round((rate / directMBs) * 100)} %`;
  return `| ${route} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 90))} | ${ms(percentile(values, 99))} | ${added} | ${Math.round(rate)} | ${share} |`;
});

const command = `npm run bench:egress${quick ? ' -- --quick' : ''}`;
const markdown = `## Egress: an HTTPS request and a 100 MB download through the forwarder and the proxy

\`${command}\` (${new Date().toISOString().slice(0, 10)}; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}
at the start; Node ${process.versions.node}). One HTTPS server on loopback; the client on the host
makes each request on a new connection (TCP or CONNECT, TLS handshake, GET, 2-byte answer), the three
routes interleaved, ${requests} requests each after 50 of warm-up; then ${downloads} downloads of
100 MB each. *Tunnelled*: CONNECT through \`egress-forwarder\` and the proxy, which checks the policy,
the address and the ClientHello's SNI and then relays bytes. *Intercepted*: the host has a domain
secret, so the proxy terminates TLS with the container's CA, replaces the placeholder in the
\`Authorization\` header and makes its own (kept-alive) TLS request upstream. ${records} egress
records were written during the run.

Targets (issue 12): ≤ 1 ms added p50 tunnelled, ≤ 3 ms intercepted, ≥ 80 % of direct throughput.

| route | p50 ms | p90 ms | p99 ms | added p50 ms | MB/s (median) | of direct |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
process.stdout.write(`${markdown}\n`);
if (!quick) writeBenchmarkSection('docs/benchmarks.md', 'egress', markdown);

async function listenOn(
  server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown },
  port: number,
): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  const port = await listenOn(server, 0);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createNetServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true));
    });
    if (open) return;
    await sleep(10);
  }
  throw new Error(`the forwarder did not listen on ${port}`);
}
