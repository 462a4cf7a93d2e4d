import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { isRefusal, openUpstream } from './egress-connector.js';
import { refusalRecord, refusalText, type EgressProxyContext } from './egress-proxy-context.js';
import { startTunnel } from './egress-tunnel-session.js';
import { withoutHopByHop } from './tls-interception.js';

/**
 * The HTTP proxy a sandbox's tools reach at `127.0.0.1:3128` (through the forwarder and a unix
 * socket): `CONNECT host:port` opens a checked tunnel (HTTPS, or git/ssh over CONNECT), an
 * absolute-form request (`GET http://host/path`) is forwarded as plain HTTP. Redirects are passed
 * back to the tool, never followed here, so every hop comes back through this check. Requests in
 * origin form (`GET /`) are not proxy requests and get 400.
 */
export function createEgressHttpProxy(context: EgressProxyContext): Server {
  const server = createServer((req, res) => void forward(context, req, res));
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void tunnel(context, req, socket, head);
  });
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  // A client that sends headers slowly holds a socket, not the proxy.
  server.headersTimeout = 10_000;
  // Downloads may take long; the connection's own idleness is what ends them.
  server.requestTimeout = 0;
  return server;
}

/** `host:port` of a CONNECT target (`[v6]:port` too), or null. */
export function connectTarget(target: string | undefined): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(target ?? '');
  if (!match) return null;
  return { host: match[1] ?? match[2] ?? '', port: Number(match[3]) };
}

async function tunnel(
  context: EgressProxyContext,
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
): Promise<void> {
  const at = Date.now();
  client.on('error', () => client.destroy());
  const target = connectTarget(req.url);
  if (target === null) {
    refuseRaw(client, 400, `Berth egress: CONNECT needs host:port, got '${req.url ?? ''}'.`);
    return;
  }
  const base = { at, method: 'CONNECT', host: target.host, port: target.port };
  const opened = await openUpstream(context.policy(), target.host, target.port, context.resolve);
  if (isRefusal(opened)) {
    const status = opened.unreachable ? 502 : 403;
    context.record(refusalRecord(base, opened, status));
    refuseRaw(client, status, refusalText(target.host, target.port, opened));
    return;
  }
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) client.unshift(head);
  await startTunnel(context, client, opened, base);
}

async function forward(
  context: EgressProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const at = Date.now();
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    res
      .writeHead(400, { 'content-type': 'text/plain' })
      .end('Berth egress: this is a proxy; send absolute-form requests.\n');
    return;
  }
  if (url.protocol !== 'http:') {
    res
      .writeHead(400, { 'content-type': 'text/plain' })
      .end('Berth egress: only http:// URLs are forwarded; use CONNECT for https.\n');
    return;
  }
  const port = url.port ? Number(url.port) : 80;
  const host = url.hostname;
  const base = { at, method: req.method ?? 'GET', host, port };
  const opened = await openUpstream(context.policy(), host, port, context.resolve);
  if (isRefusal(opened)) {
    const status = opened.unreachable ? 502 : 403;
    context.record(refusalRecord(base, opened, status));
    res
      .writeHead(status, { 'content-type': 'text/plain', 'x-berth-egress': 'denied' })
      .end(`${refusalText(host, port, opened)}\n`);
    return;
  }
  let bytesOut = 0;
  let bytesIn = 0;
  req.on('data', (chunk: Buffer) => {
    bytesOut += chunk.length;
  });
  const headers = { ...req.headers };
  // Hop-by-hop and proxy-only headers stop here; the Host is the URL's, the one that was checked.
  for (const name of [
    'proxy-connection',
    'proxy-authorization',
    'connection',
    'keep-alive',
    'te',
    'trailer',
    'upgrade',
  ])
    delete headers[name];
  headers.host = url.host;
  const upstream = httpRequest({
    method: req.method,
    path: `${url.pathname}${url.search}`,
    headers,
    createConnection: () => opened.socket,
  });
  upstream.on('response', (response) => {
    response.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
    });
    res.writeHead(response.statusCode ?? 502, withoutHopByHop(response.headers));
    response.pipe(res);
    response.on('end', () =>
      context.record({
        ...base,
        allowed: true,
        reason: null,
        address: opened.address,
        status: response.statusCode ?? null,
        bytesOut,
        bytesIn,
        intercepted: false,
      }),
    );
  });
  upstream.on('error', (error) => {
    context.record({
      ...base,
      allowed: true,
      reason: `the upstream failed: ${error.message}`,
      address: opened.address,
      status: 502,
      bytesOut,
      bytesIn,
      intercepted: false,
    });
    if (!res.headersSent)
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`Berth egress: ${error.message}\n`);
    else res.destroy();
  });
  req.pipe(upstream);
}

function refuseRaw(socket: Socket, status: number, text: string): void {
  const reason = status === 403 ? 'Forbidden' : status === 502 ? 'Bad Gateway' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nX-Berth-Egress: denied\r\n` +
      `Content-Length: ${Buffer.byteLength(text) + 1}\r\nConnection: close\r\n\r\n${text}\n`,
  );
}
