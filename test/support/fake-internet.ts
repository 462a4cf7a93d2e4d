import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { EgressCertificateAuthority } from '../../src/sandbox/egress/egress-certificate-authority.js';

/** A request one of the fake sites received. */
export interface SiteRequest {
  readonly site: string;
  readonly scheme: 'http' | 'https';
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

/**
 * "The internet" for egress tests, on this host: each site name gets its own private address added
 * to `lo` (10.77.x.y/32; these kernels have no dummy links), with an HTTPS server on 443 (a
 * certificate from the fake internet's own CA) and an HTTP server on 80. Berth reaches them through
 * its `network` config: `hosts` (the names), `allowPrivateNetworks` (the addresses) and
 * `upstreamCAFile` (the CA). Every site answers with what it received as JSON; `/redirect?to=URL`
 * answers 302, `/bytes?n=N` streams N bytes. Needs root (addresses and ports below 1024).
 */
export class FakeInternet {
  readonly requests: SiteRequest[] = [];
  /** Site name → its address. */
  readonly hosts: Record<string, string>;
  /** A PEM file with the CA the sites' certificates chain to. */
  readonly caFile: string;
  readonly caPem: string;
  readonly #servers: Server[];
  /** Every TCP connection, including TLS ones that never got as far as HTTP. */
  readonly #sockets = new Set<Socket>();
  readonly #directory: string;

  private constructor(
    hosts: Record<string, string>,
    ca: string,
    caFile: string,
    directory: string,
    servers: Server[],
  ) {
    this.hosts = hosts;
    this.caPem = ca;
    this.caFile = caFile;
    this.#directory = directory;
    this.#servers = servers;
  }

  static async start(names: readonly string[]): Promise<FakeInternet> {
    const authority = await EgressCertificateAuthority.create('fake-internet');
    const directory = mkdtempSync(join(tmpdir(), 'berth-fake-internet-'));
    const caFile = join(directory, 'ca.pem');
    writeFileSync(caFile, authority.certificatePem);
    const block = randomInt(1, 250);
    const hosts: Record<string, string> = {};
    const servers: Server[] = [];
    const internet = new FakeInternet(hosts, authority.certificatePem, caFile, directory, servers);
    for (const [index, name] of names.entries()) {
      const address = `10.77.${block}.${index + 1}`;
      execFileSync('ip', ['addr', 'replace', `${address}/32`, 'dev', 'lo']);
      hosts[name] = address;
      const leaf = await authority.leaf(name);
      const contexts = new Map<string, ReturnType<typeof createSecureContext>>();
      for (const other of names) contexts.set(other, createSecureContext(await authority.leaf(other)));
      const https = createHttpsServer(
        { ...leaf, SNICallback: (servername, callback) => callback(null, contexts.get(servername)) },
        (req, res) => internet.#answer(name, 'https', req, res),
      );
      const http = createHttpServer((req, res) => internet.#answer(name, 'http', req, res));
      await listen(https, 443, address);
      await listen(http, 80, address);
      servers.push(https, http);
      for (const server of [https, http]) {
        server.on('connection', (socket: Socket) => {
          internet.#sockets.add(socket);
          socket.once('close', () => internet.#sockets.delete(socket));
        });
      }
    }
    return internet;
  }

  /** The addresses, as `allowPrivateNetworks` entries. */
  get networks(): string[] {
    return Object.values(this.hosts).map((address) => `${address}/32`);
  }

  /** The requests a site received over `scheme`. */
  requestsTo(site: string, scheme?: 'http' | 'https'): SiteRequest[] {
    return this.requests.filter(
      (request) => request.site === site && (scheme === undefined || request.scheme === scheme),
    );
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    for (const server of this.#servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const address of Object.values(this.hosts)) {
      try {
        execFileSync('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']);
      } catch {
        // Already gone.
      }
    }
    rmSync(this.#directory, { recursive: true, force: true });
  }

  #answer(site: string, scheme: 'http' | 'https', req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://site');
    const request: SiteRequest = {
      site,
      scheme,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      headers: req.headers,
    };
    this.requests.push(request);
    req.resume();
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      return;
    }
    if (url.pathname === '/bytes') {
      const total = Number(url.searchParams.get('n') ?? 0);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      const chunk = Buffer.alloc(64 * 1024, 120);
      let sent = 0;
      const write = (): void => {
        while (sent < total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(request));
  }
}

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
}
