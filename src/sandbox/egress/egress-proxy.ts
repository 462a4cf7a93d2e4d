import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { Agent } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { ContainerEgressPolicy } from '../../network/egress-policy.js';
import { EgressCertificateAuthority } from './egress-certificate-authority.js';
import { systemResolve, type Resolve } from './egress-connector.js';
import { createEgressHttpProxy } from './egress-http-proxy.js';
import type { EgressRecorder } from '../../network/egress-record.js';
import { createEgressSocksProxy } from './egress-socks-proxy.js';
import { upstreamTrust } from './upstream-trust.js';

export interface EgressProxyOptions {
  readonly containerId: string;
  /** A directory of this container's alone, created here; it is bind-mounted at `egressMountPoint`. */
  readonly directory: string;
  readonly policy: ContainerEgressPolicy;
  readonly record: EgressRecorder;
  /** PEM certificates the proxy trusts for upstream TLS besides Node's bundled roots (`upstreamCAFile`). */
  readonly extraCAs?: readonly string[];
  readonly resolve?: Resolve;
}

/**
 * One container's egress proxy, in the server process: an HTTP proxy and a SOCKS5 proxy on unix
 * sockets in the container's directory, which the forwarder inside the sandbox relays to. The policy
 * can be replaced at any time; new connections follow the new one at once.
 */
export class EgressProxy {
  readonly directory: string;
  #policy: ContainerEgressPolicy;
  readonly #servers: (Server | NetServer)[];
  /** Every connection from the sandbox, so closing ends tunnels too. */
  readonly #sockets = new Set<Socket>();

  readonly #upstream: Agent;

  private constructor(
    directory: string,
    policy: ContainerEgressPolicy,
    servers: (Server | NetServer)[],
    upstream: Agent,
  ) {
    this.directory = directory;
    this.#upstream = upstream;
    this.#policy = policy;
    this.#servers = servers;
  }

  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    const { directory } = options;
    // Synchronous file calls: microseconds each, where an await waits a turn of the server's event
    // loop (hundreds of milliseconds under load; see writable-layer.ts). This is a sandbox's start.
    rmSync(directory, { recursive: true, force: true });
    // Searchable by the sandbox's user; nothing in it is writable from inside (it is mounted read-only).
    mkdirSync(directory, { recursive: true, mode: 0o755 });
    chmodSync(directory, 0o755);
    const authority = await EgressCertificateAuthority.create(options.containerId);
    const extra = options.extraCAs ?? [];
    writeFileSync(`${directory}/ca.pem`, authority.certificatePem, { mode: 0o644 });
    writeFileSync(
      `${directory}/ca-bundle.pem`,
      [...rootCertificates, ...extra, authority.certificatePem].join('\n'),
      { mode: 0o644 },
    );
    // One pool of upstream connections for the container's intercepted requests, kept alive across its
    // tunnels (a package manager opens many to one registry): a request after the first costs no
    // second TLS handshake. Connections are keyed by the checked address and the host name, so a
    // connection is only ever reused for the host, and the address, it was opened for.
    const upstream = new Agent({
      keepAlive: true,
      maxFreeSockets: 8,
      timeout: 15_000,
      secureContext: upstreamTrust(extra),
    });
    const holder: { proxy?: EgressProxy } = {};
    const context = {
      policy: () => (holder.proxy as EgressProxy).#policy,
      record: options.record,
      resolve: options.resolve ?? systemResolve,
      interception: { authority, upstream },
    };
    const servers = [createEgressHttpProxy(context), createEgressSocksProxy(context)];
    const created = new EgressProxy(directory, options.policy, servers, upstream);
    holder.proxy = created;
    for (const server of servers) {
      server.on('connection', (socket: Socket) => {
        created.#sockets.add(socket);
        socket.once('close', () => created.#sockets.delete(socket));
      });
    }
    try {
      await listen(servers[0] as Server, `${directory}/http.sock`);
      await listen(servers[1] as NetServer, `${directory}/socks.sock`);
    } catch (error) {
      await created.close();
      throw error;
    }
    return created;
  }

  get policy(): ContainerEgressPolicy {
    return this.#policy;
  }

  /** Replaces the policy; connections already open keep going, new ones follow it. */
  setPolicy(policy: ContainerEgressPolicy): void {
    this.#policy = policy;
  }

  /** Stops accepting, closes every connection and removes the directory. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#upstream.destroy();
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      ),
    );
    await rm(this.directory, { recursive: true, force: true });
  }
}

async function listen(server: Server | NetServer, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Any user inside the sandbox may connect: the policy, not the socket's mode, is the control.
  chmodSync(path, 0o666);
}
