import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { PlacedSecret } from '../../network/egress-policy.js';
import type { OpenedUpstream } from './egress-connector.js';
import type { EgressCertificateAuthority, PemPair } from './egress-certificate-authority.js';

/** What a container's proxy needs to intercept: its CA, and the CAs upstream servers are checked with. */
export interface Interception {
  readonly authority: EgressCertificateAuthority;
  /**
   * The container's pool of upstream TLS connections, which verifies certificates against Node's
   * bundled roots plus `upstreamCAFile`'s.
   */
  readonly upstream: Agent;
}

/** Bytes of request and response bodies, and why a request was refused (the last one), if any was. */
export interface InterceptedTraffic {
  bytesOut: number;
  bytesIn: number;
  refusal: string | null;
}

const hopByHop = [
  'proxy-connection',
  'proxy-authorization',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
];

/**
 * Terminates the sandbox's TLS to a host with domain secrets (with a certificate from the container's
 * own CA), and for each HTTP/1.1 request on it: checks that `Host` names the host the tunnel was
 * opened to (421 otherwise, so one tunnel cannot carry requests meant for another name), replaces
 * each of THIS host's placeholders in the request headers with its secret, and sends the request on
 * over a new TLS connection to the address that was checked, verifying the upstream's certificate for
 * the host against the trusted CAs. Placeholders of other hosts' secrets are left as they are, and
 * bodies are never rewritten, so a secret can reach no other host than its own. HTTP/2 is not offered
 * (ALPN says http/1.1), so clients fall back to HTTP/1.1.
 */
export function interceptTunnel(
  interception: Interception,
  client: Socket,
  opened: OpenedUpstream,
  head: Buffer,
  secrets: readonly PlacedSecret[],
): Promise<InterceptedTraffic> {
  const host = opened.host.host;
  const port = opened.socket.remotePort ?? 443;
  // The checked address is connected to again by the upstream pool; the probe connection is not needed.
  opened.socket.destroy();
  const traffic: InterceptedTraffic = { bytesOut: 0, bytesIn: 0, refusal: null };
  return new Promise((resolve) => {
    void interception.authority.leaf(host).then(
      (leaf) => {
        const tlsClient = new TLSSocket(replay(client, head), {
          isServer: true,
          secureContext: serverContext(leaf),
          ALPNProtocols: ['http/1.1'],
        });
        const server = createServer((req, res) => {
          if (!sameAuthority(req.headers.host, host, port)) {
            traffic.refusal = `the request's Host '${req.headers.host ?? ''}' is not the tunnel's host ${host}`;
            res.writeHead(421, { 'content-type': 'text/plain', connection: 'close' });
            res.end(`Berth egress: ${traffic.refusal}.\n`);
            return;
          }
          req.on('data', (chunk: Buffer) => {
            traffic.bytesOut += chunk.length;
          });
          const upstream = httpsRequest({
            host: opened.address,
            port,
            servername: host,
            method: req.method,
            path: req.url,
            headers: withSecrets(req.headers, secrets),
            agent: interception.upstream,
          });
          upstream.on('response', (response) => {
            response.on('data', (chunk: Buffer) => {
              traffic.bytesIn += chunk.length;
            });
            res.writeHead(response.statusCode ?? 502, withoutHopByHop(response.headers));
            response.pipe(res);
          });
          upstream.on('error', (error) => {
            traffic.refusal = `the upstream failed: ${error.message}`;
            if (!res.headersSent)
              res.writeHead(502, { 'content-type': 'text/plain' }).end(`Berth egress: ${error.message}\n`);
            else res.destroy();
          });
          req.pipe(upstream);
        });
        tlsClient.on('error', () => tlsClient.destroy());
        tlsClient.once('close', () => {
          server.close();
          client.destroy();
          resolve(traffic);
        });
        server.emit('connection', tlsClient);
      },
      (error: unknown) => {
        client.destroy();
        resolve({ ...traffic, refusal: `no certificate for ${host}: ${String(error)}` });
      },
    );
  });
}

const serverContexts = new WeakMap<PemPair, SecureContext>();

/** The TLS context of a leaf certificate, built once per leaf rather than once per connection. */
function serverContext(leaf: PemPair): SecureContext {
  let context = serverContexts.get(leaf);
  if (!context) {
    context = createSecureContext({ key: leaf.key, cert: leaf.cert });
    serverContexts.set(leaf, context);
  }
  return context;
}

/** The request headers with this host's placeholders replaced, and hop-by-hop headers removed. */
export function withSecrets(
  headers: IncomingHttpHeaders,
  secrets: readonly PlacedSecret[],
): IncomingHttpHeaders {
  const replace = (value: string): string =>
    secrets.reduce((text, secret) => text.split(secret.placeholder).join(secret.value), value);
  const result: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (hopByHop.includes(name) || value === undefined) continue;
    result[name] = Array.isArray(value) ? value.map(replace) : replace(value);
  }
  return result;
}

/** Response headers without the upstream connection's own (its keep-alive is not the client's). */
export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.includes(name)));
}

/** Whether a `Host` header names `host` (on `port`, or with the port left out for 443). */
function sameAuthority(header: string | undefined, host: string, port: number): boolean {
  if (!header) return false;
  let url: URL;
  try {
    url = new URL(`https://${header}`);
  } catch {
    return false;
  }
  const headerPort = url.port === '' ? 443 : Number(url.port);
  return url.hostname.toLowerCase().replace(/\.$/, '') === host && headerPort === port;
}

/** The socket as a stream that first gives `head` (bytes already read from it) again. */
function replay(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      // Done writing means the connection is over (the HTTP server closes it): the client's socket may
      // be half-open and wait for our FIN forever otherwise.
      socket.end(() => socket.destroy());
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  if (head.length > 0) duplex.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (error) => duplex.destroy(error));
  return duplex;
}
