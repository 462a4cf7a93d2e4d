// npm run bench:egress — what the egress path adds: an HTTPS request on a new connection, and a
// 100 MB download, straight to an HTTPS server on this host against the same through the static
// forwarder and a container's egress proxy, tunnelled (a host without secrets) and intercepted (a
// host with a domain secret, TLS terminated by the proxy), interleaved in one run. The site, the
// proxy and this client are three processes, as they are in use (the internet, Berth's server, the
// sandbox's tool), so none is timed on another's event loop. The client runs on the host, where a
// sandbox's tools would run behind the forwarder; the sandbox's namespaces add nothing to a loopback
// hop. No root needed. See docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { builtEgressForwarder } from '../src/sandbox/egress/egress-forwarder-binary.js';
import { BenchChild } from './agent-ipc.js';
import { writeBenchmarkSection } from './benchmarks-doc.js';
import {
  plainHost as plain,
  secretHost as withSecret,
  type ProxyMessage,
  type SiteMessage,
} from './egress-ipc.js';

const quick = process.argv.includes('--quick');
const requests = quick ? 100 : 1000;
const downloadBytes = 100 * 1024 * 1024;
const downloads = quick ? 1 : 5;

const forwarderBinary = builtEgressForwarder();
if (forwarderBinary === null) throw new Error('dist/egress-forwarder is not built: run npm run build');

const siteProcess = BenchChild.start<SiteMessage>(
  fileURLToPath(new URL('egress-site.ts', import.meta.url)),
  [],
);
const site = await siteProcess.request('ready');
const sitePort = site.port;
const proxyProcess = BenchChild.start<ProxyMessage>(
  fileURLToPath(new URL('egress-proxy-process.ts', import.meta.url)),
  [],
);
const proxy = await proxyProcess.request('ready', { siteCA: site.caPem });

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
  const ca = route === 'intercepted' ? proxy.caPem : site.caPem;
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
        headers: route === 'intercepted' ? { authorization: `Bearer ${proxy.placeholder}` } : {},
        // No agent: with one (even `agent: false`) Node dials the host itself and ignores
        // createConnection, which is the socket this request must use.
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

const { count: records } = await proxyProcess.request('records', { type: 'records' });
forwarder.kill('SIGKILL');
proxyProcess.process.disconnect();
siteProcess.process.disconnect();
await Promise.all([proxyProcess.exited(), siteProcess.exited()]);

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
at the start; Node ${process.versions.node}). One HTTPS server on loopback, the proxy and the client in three processes; the client
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

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
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
