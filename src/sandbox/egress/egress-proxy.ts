import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { ContainerEgressPolicy } from '../../network/egress-policy.js';
import { EgressCertificateAuthority } from './egress-certificate-authority.js';
import { systemResolve, type Resolve } from './egress-connector.js';
import { createEgressHttpProxy } from './egress-http-proxy.js';
import type { EgressRecorder } from './egress-record.js';
import { createEgressSocksProxy } from './egress-socks-proxy.js';

/** Where a sandbox sees its proxy directory (the sockets and its CA files). */
export const egressMountPoint = '/run/berth-egress';
/** Where the forwarder binary appears inside a sandbox. */
export const egressForwarderPath = '/.berth/egress-forwarder';
export const egressHttpPort = 3128;
export const egressSocksPort = 1080;

/** The forwarder's arguments inside a sandbox: its two ports and the sockets behind them. */
export const egressForwarderArgs = [
  egressForwarderPath,
  `${egressHttpPort}=${egressMountPoint}/http.sock`,
  `${egressSocksPort}=${egressMountPoint}/socks.sock`,
];

/**
 * The environment every sandbox with a proxy gets: the proxies, for every convention tools read
 * (upper and lower case; npm's own settings; Node 24's opt-in), and the CA bundle that holds the
 * public roots plus the container's interception CA, for every variable tools read it from.
 * `NO_PROXY` keeps the sandbox's own loopback services direct.
 */
export function egressEnvironment(): string[] {
  const http = `http://127.0.0.1:${egressHttpPort}`;
  const socks = `socks5h://127.0.0.1:${egressSocksPort}`;
  const bundle = `${egressMountPoint}/ca-bundle.pem`;
  const noProxy = 'localhost,127.0.0.1,::1';
  return [
    `HTTP_PROXY=${http}`,
    `HTTPS_PROXY=${http}`,
    `http_proxy=${http}`,
    `https_proxy=${http}`,
    `ALL_PROXY=${socks}`,
    `all_proxy=${socks}`,
    `NO_PROXY=${noProxy}`,
    `no_proxy=${noProxy}`,
    `npm_config_proxy=${http}`,
    `npm_config_https_proxy=${http}`,
    'NODE_USE_ENV_PROXY=1',
    `SSL_CERT_FILE=${bundle}`,
    `REQUESTS_CA_BUNDLE=${bundle}`,
    `CURL_CA_BUNDLE=${bundle}`,
    `GIT_SSL_CAINFO=${bundle}`,
    `PIP_CERT=${bundle}`,
    `NODE_EXTRA_CA_CERTS=${egressMountPoint}/ca.pem`,
  ];
}

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

  private constructor(directory: string, policy: ContainerEgressPolicy, servers: (Server | NetServer)[]) {
    this.directory = directory;
    this.#policy = policy;
    this.#servers = servers;
  }

  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    const { directory } = options;
    await rm(directory, { recursive: true, force: true });
    // Searchable by the sandbox's user; nothing in it is writable from inside (it is mounted read-only).
    await mkdir(directory, { recursive: true, mode: 0o755 });
    await chmod(directory, 0o755);
    const authority = await EgressCertificateAuthority.create(options.containerId);
    const extra = options.extraCAs ?? [];
    await writeFile(`${directory}/ca.pem`, authority.certificatePem, { mode: 0o644 });
    await writeFile(
      `${directory}/ca-bundle.pem`,
      [...rootCertificates, ...extra, authority.certificatePem].join('\n'),
      { mode: 0o644 },
    );
    const holder: { proxy?: EgressProxy } = {};
    const context = {
      policy: () => (holder.proxy as EgressProxy).#policy,
      record: options.record,
      resolve: options.resolve ?? systemResolve,
      interception: { authority, trustedCAs: [...rootCertificates, ...extra] },
    };
    const servers = [createEgressHttpProxy(context), createEgressSocksProxy(context)];
    const created = new EgressProxy(directory, options.policy, servers);
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
  await chmod(path, 0o666);
}
