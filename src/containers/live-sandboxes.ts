import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, rm } from 'node:fs/promises';
import type { SandboxConfig } from '../config/config-schema.js';
import { BerthError } from '../errors/berth-error.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { inSpan, noTracing, type Tracing } from '../tracing.js';
import {
  EgressCeiling,
  type ContainerEgressPolicy,
  type NetworkPolicyRequest,
  type StoredNetworkPolicy,
} from '../network/egress-policy.js';
import { inParallel } from '../in-parallel.js';
import { stageEgressForwarder } from '../sandbox/egress/egress-forwarder-binary.js';
import { egressEnvironment } from '../sandbox/egress/egress-mount.js';
import { EgressProxy } from '../sandbox/egress/egress-proxy.js';
import type { EgressRecord } from '../network/egress-record.js';
import type { SandboxDriver, SandboxEgress, SandboxImage, SandboxLimits } from '../sandbox/sandbox-driver.js';
import { normalizeModes } from '../skills/skill-bundle.js';
import type { ResolvedSkills } from '../skills/skill-service.js';
import type { StoredContainer } from '../store/store.js';
import { memoryLimits, type MemoryLimit } from './container-object.js';
import { LiveContainer } from './live-container.js';
import { defaultSessionName } from './shell-host.js';

export interface LiveSandboxesOptions {
  /** Undefined when containers are off: starting anything then answers `containers_disabled`. */
  readonly driver: SandboxDriver | undefined;
  /** The image, limits and warm pool size. */
  readonly config: SandboxConfig;
  /** `<dataDir>/sandbox`: container disks live in its `containers/`. */
  readonly directory: string;
  /** Resolves an image name to its root on the host (`host`, or a built image). */
  readonly resolveImage: (name: string) => Promise<SandboxImage>;
  /** Names new containers (`cntr_…`). */
  readonly ids: IdGenerator;
  /** Where a pooled sandbox that failed to start is reported. */
  readonly logger: Logger;
  /** How long each sandbox took to start. */
  readonly metrics?: Metrics | undefined;
  /** A span per sandbox start, the child of whatever asked for it (a tool call, a create). */
  readonly tracing?: Tracing | undefined;
  /** How containers reach the network; undefined for never (every policy but `disabled` is refused). */
  readonly egress?: ContainerEgressOptions | undefined;
}

/** The server's side of container egress: its ceiling, where proxies live, where decisions go. */
export interface ContainerEgressOptions {
  /** The server's `network` ceiling, which every container policy narrows. */
  readonly ceiling: EgressCeiling;
  /** PEM certificates the proxies trust for upstream TLS besides Node's roots. */
  readonly upstreamCAs: readonly string[];
  /**
   * A directory only root can write and everyone can search (`/run/berth/<tag>/egress` as root): each
   * container's proxy sockets and CA files go in a folder of it, bind-mounted read-only into the sandbox.
   */
  readonly directory: string;
  /** The static forwarder `npm run build` made, or null when there is none (allowlists are refused). */
  readonly forwarder: string | null;
  /** Receives every connection decision of every container's proxy (the egress log). */
  readonly record: (containerId: string, record: EgressRecord) => void;
}

/** A sandbox being started (or started) under a container id not yet recorded. */
export interface ClaimedSandbox {
  /** The container id it belongs to. */
  readonly id: string;
  /** Settles once its sandbox runs. */
  readonly live: Promise<LiveContainer>;
}

/**
 * The containers' running sandboxes, by id, and a warm pool of started ones (each with its default
 * session's shell already running) so creating a container is cheap. A container's sandbox is started
 * on first use after a restart (its files are on its disk; its shells start fresh), stopped when the
 * server stops, and removed with its disk when the container goes. Also which containers have work
 * in progress, so expiry never takes one from under a command.
 */
export class LiveSandboxes {
  readonly #options: LiveSandboxesOptions;
  readonly #live = new Map<string, Promise<LiveContainer>>();
  /** Containers with commands or file transfers in progress: never expired under them. */
  readonly #busy = new Map<string, number>();
  #pool: ClaimedSandbox[] = [];
  #filling: Promise<void> | undefined;
  #closed = false;
  /**
   * Settles once what a previous run left is cleaned up (`reapOrphans`). Nothing starts, restarts or
   * removes a sandbox before: the reaper removes every container directory it does not know, and a
   * sandbox started meanwhile would be one of those.
   */
  #reaped: Promise<void> = Promise.resolve();
  /**
   * Why the driver failed the most recent sandbox start, until a start succeeds again; readiness
   * reports it (a driver whose `--version` works can still fail every start: a container missing a
   * privilege, a full disk).
   */
  #lastStartFailure: string | undefined;
  /** The forwarder copied where every sandbox's user can reach it, once per server. */
  #forwarder: Promise<string> | undefined;

  constructor(options: LiveSandboxesOptions) {
    this.#options = options;
  }

  get enabled(): boolean {
    return this.#options.driver !== undefined;
  }

  /** Containers' sandboxes running or being started (not counting the pool's). */
  get running(): number {
    return this.#live.size;
  }

  /** Why the driver failed the last sandbox start, or undefined when it succeeded (or none was tried). */
  get lastStartFailure(): string | undefined {
    return this.#lastStartFailure;
  }

  /** Sandboxes started and waiting in the warm pool. */
  get pooled(): number {
    return this.#pool.length;
  }

  /** The driver, or `containers_disabled` when the server has none. */
  requireEnabled(): SandboxDriver {
    if (!this.#options.driver) {
      throw new BerthError(
        'containers_disabled',
        'Containers are turned off on this server: no sandbox driver is available (see `berth serve` start-up output).',
      );
    }
    return this.#options.driver;
  }

  /**
   * Stops whatever sandboxes a previous run left and removes the disks of containers not in `known`
   * (a crash between removing a record and its disk, or during a delete's teardown). Runs in the
   * background — after a crash that left dozens of sandboxes it takes seconds, and the server listens
   * meanwhile — with every sandbox start, restart and removal waiting for it.
   */
  reapOrphans(known: ReadonlySet<string>): Promise<void> {
    this.#reaped = this.#reap(known);
    return this.#reaped;
  }

  async #reap(known: ReadonlySet<string>): Promise<void> {
    const driver = this.#options.driver;
    if (!driver) return;
    await mkdir(this.#containersDir(), { recursive: true, mode: 0o700 });
    const running = await driver.listRunning();
    // Proxies died with the server that ran them; their sockets and CA files are stale.
    if (this.#options.egress) await rm(this.#options.egress.directory, { recursive: true, force: true });
    const entries = await readdir(this.#containersDir());
    const ids = [...new Set([...running, ...entries])];
    // Several at a time: stopping one mostly waits for its processes to be reaped.
    await inParallel(ids, reapParallelism, async (id) => {
      await driver.stop(id, this.#containerDir(id));
      if (entries.includes(id) && !known.has(id)) {
        this.#options.logger.info('removing an orphaned container disk', { container: id });
        await rm(this.#containerDir(id), { recursive: true, force: true });
      }
    });
  }

  /**
   * The container policy a request asks for, narrowed to the server's ceiling: a 400 naming the param
   * when a domain or secret does not fit, or when this server cannot give containers a network at all.
   */
  egressPolicy(
    request: { readonly policy: NetworkPolicyRequest; readonly param: string } | undefined,
    placeholders?: ReadonlyMap<string, string>,
  ): ContainerEgressPolicy {
    const ceiling = this.#ceiling();
    if (request === undefined || request.policy.type === 'disabled') return ceiling.narrow(undefined, '');
    if (!this.#options.egress?.forwarder) {
      throw new BerthError(
        'invalid_value',
        'This server cannot give containers network access: its egress forwarder was not built (a C compiler is needed at `npm run build`). Omit network_policy or use {"type":"disabled"}.',
        { param: `${request.param}.type` },
      );
    }
    return ceiling.narrow(request.policy, request.param, placeholders);
  }

  /**
   * The policy a container changes to (`POST /v1/containers/{id}`), checked like a new one. Each
   * secret keeps its placeholder, which the sandbox's environment already holds, so a secret's value
   * can be rotated, a secret removed and domains added or removed while the shell goes on; a secret
   * under a name the container does not have is a 400, because environment variables are only given
   * when a sandbox starts.
   */
  replacementPolicy(
    current: StoredNetworkPolicy,
    request: { readonly policy: NetworkPolicyRequest; readonly param: string },
  ): ContainerEgressPolicy {
    const known = current.type === 'allowlist' ? (current.domain_secrets ?? []) : [];
    const placeholders = new Map(known.map((secret) => [secret.name, secret.placeholder]));
    if (request.policy.type === 'allowlist') {
      request.policy.domain_secrets?.forEach((secret, index) => {
        if (placeholders.has(secret.name)) return;
        throw new BerthError(
          'invalid_value',
          `The container has no secret named '${secret.name}': a secret's variable is set when its sandbox starts, so a running container can only change the values and domains of the secrets it was created with. Create a new container for a new secret.`,
          { param: `${request.param}.domain_secrets[${index}].name` },
        );
      });
    }
    return this.egressPolicy(request, placeholders);
  }

  /** Gives the container's running sandbox, if it has one, a new policy: new connections follow it. */
  async applyPolicy(id: string, policy: ContainerEgressPolicy): Promise<void> {
    const live = await this.#live.get(id)?.catch(() => undefined);
    live?.setEgressPolicy(policy);
  }

  /** The policy a stored container was made with, under the ceiling as it is now. */
  restorePolicy(stored: StoredNetworkPolicy): ContainerEgressPolicy {
    return this.#ceiling().restore(stored);
  }

  /**
   * A pooled sandbox when the image is the pool's, else a new one; the pool refills behind it. A
   * policy with secrets starts a new sandbox: their placeholders are in its environment from the start.
   */
  claim(image: string, policy: ContainerEgressPolicy): ClaimedSandbox {
    const poolable = image === this.#options.config.image && policy.secrets.length === 0;
    const pooled = poolable ? this.#pool.shift() : undefined;
    this.fill();
    if (pooled) {
      const live = pooled.live.then((container) => {
        container.setEgressPolicy(policy);
        return container;
      });
      return { id: pooled.id, live };
    }
    const id = this.#options.ids.next('cntr');
    return { id, live: this.#start(id, image, '1g', policy) };
  }

  /**
   * A new sandbox with the skills copied into `<container dir>/skills/<name>/`, which the driver mounts
   * read-only at /skills. The copies belong to the server's user (root) with modes 0755/0644: the
   * sandbox's unprivileged uid can read and run them and change nothing, and the mount is read-only
   * besides. Each container has its own copy, so deleting a skill never pulls files from under one.
   * A container with skills starts cold: a pooled sandbox is already running without the mount.
   */
  startWithSkills(image: string, skills: ResolvedSkills, policy: ContainerEgressPolicy): ClaimedSandbox {
    const id = this.#options.ids.next('cntr');
    const live = (async () => {
      // The start-up cleanup removes every container directory it does not know: one made before it
      // listed them would be taken for an orphan and removed under the mount (seen as `mount --bind`
      // failing on a missing source once the cleanup's steps took longer).
      await this.#reaped;
      const dir = this.#skillsDir(id);
      await mkdir(dir, { recursive: true, mode: 0o755 });
      for (const [index, skill] of skills.attached.entries()) {
        const root = skills.roots[index];
        if (root === undefined) throw new Error(`skill ${skill.name} has no files`);
        await cp(root, `${dir}/${skill.name}`, { recursive: true, errorOnExist: true, force: false });
      }
      await normalizeModes(dir);
      return this.#start(id, image, '1g', policy, true);
    })();
    return { id, live };
  }

  /** Starts sandboxes in the background until the warm pool is full. */
  fill(): void {
    if (this.#filling || this.#closed) return;
    this.#filling = (async () => {
      while (!this.#closed && this.#pool.length < this.#options.config.warmPool) {
        const id = this.#options.ids.next('cntr');
        const disabled = this.#ceiling().narrow(undefined, '');
        const live = this.#start(id, this.#options.config.image, '1g', disabled).then(async (container) => {
          await container.warm(defaultSessionName);
          return container;
        });
        try {
          await live;
        } catch (error) {
          this.#options.logger.error('could not start a pooled sandbox', { error: String(error) });
          await this.discard(id);
          return;
        }
        if (this.#closed) {
          await this.discard(id);
          return;
        }
        this.#pool.push({ id, live });
      }
    })().finally(() => (this.#filling = undefined));
  }

  /** Keeps a claimed sandbox as the running sandbox of the container `id` now recorded. */
  adopt(id: string, container: LiveContainer): void {
    this.#live.set(id, Promise.resolve(container));
  }

  /** The container's running sandbox, started (from its disk, with its skills) if it is not. */
  liveFor(container: StoredContainer): Promise<LiveContainer> {
    let live = this.#live.get(container.id);
    if (!live) {
      // The skills' files stayed in the container's directory; the mount comes back with the sandbox.
      live = this.#start(
        container.id,
        container.image,
        container.memoryLimit as MemoryLimit,
        this.restorePolicy(container.networkPolicy),
        container.skills.length > 0,
      );
      this.#live.set(container.id, live);
      live.catch(() => this.#live.delete(container.id));
    }
    return live;
  }

  /** Stops a broken sandbox (its files stay); the next use starts it again. */
  async restart(id: string): Promise<void> {
    await this.#reaped;
    const live = this.#live.get(id);
    this.#live.delete(id);
    if (live) await live.then((container) => container.stop()).catch(() => undefined);
    await this.#options.driver?.stop(id, this.#containerDir(id));
  }

  /** Kills every process of the container, unmounts, and removes its disk. */
  async discard(id: string): Promise<void> {
    await this.#reaped;
    const live = this.#live.get(id);
    this.#live.delete(id);
    if (live) await live.then((container) => container.stop()).catch(() => undefined);
    await this.#options.driver?.stop(id, this.#containerDir(id));
    if (existsSync(this.#containerDir(id)))
      await rm(this.#containerDir(id), { recursive: true, force: true });
  }

  /** Runs `work` with the container marked busy. */
  async whileBusy<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.#busy.set(id, (this.#busy.get(id) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.#busy.get(id) ?? 1) - 1;
      if (left === 0) this.#busy.delete(id);
      else this.#busy.set(id, left);
    }
  }

  /** Whether commands or file transfers are under way in the container. */
  isBusy(id: string): boolean {
    return this.#busy.has(id);
  }

  /** The sandbox limits of a memory tier. */
  limits(memoryLimit: MemoryLimit): SandboxLimits {
    const { config } = this.#options;
    return {
      memoryBytes: memoryLimits[memoryLimit],
      pids: config.pidsLimit,
      cpus: config.cpus,
      diskBytes: config.diskBytes,
    };
  }

  /** Stops every sandbox (files stay on their disks) and the pool's (which are removed). */
  async close(): Promise<void> {
    await this.#reaped.catch(() => undefined);
    this.#closed = true;
    await this.#filling;
    const pooled = this.#pool;
    this.#pool = [];
    const live = [...this.#live];
    this.#live.clear();
    // Side by side, a few at a time: stopping a sandbox mostly waits for its processes to be reaped
    // (≈2 s each on a host whose pid 1 reaps slowly), and a server may hold hundreds.
    const stops: (() => Promise<void>)[] = [];
    for (const { id } of pooled) stops.push(() => this.discard(id));
    for (const [, container] of live) stops.push(() => container.then((started) => started.stop()));
    await inParallel(stops, 16, (stop) => stop().catch(() => undefined));
    await this.#options.driver?.close();
  }

  async #start(
    id: string,
    imageName: string,
    memoryLimit: MemoryLimit,
    policy: ContainerEgressPolicy,
    withSkills = false,
  ): Promise<LiveContainer> {
    const driver = this.requireEnabled();
    await this.#reaped;
    const dir = this.#containerDir(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const egress = await this.#startEgress(id, policy);
    try {
      const startedAt = performance.now();
      const { tracer } = this.#options.tracing ?? noTracing;
      const attributes = {
        'berth.sandbox.driver': driver.name,
        'berth.container.id': id,
        'berth.sandbox.image': imageName,
      };
      const sandbox = await inSpan(tracer, 'sandbox.start', attributes, async () => {
        const image = await this.#options.resolveImage(imageName);
        return driver
          .start({
            id,
            dir,
            image,
            limits: this.limits(memoryLimit),
            skillsDir: withSkills ? this.#skillsDir(id) : undefined,
            egress: egress?.spec,
          })
          .catch((error: unknown) => {
            this.#lastStartFailure = error instanceof Error ? error.message : String(error);
            throw error;
          });
      });
      this.#lastStartFailure = undefined;
      this.#options.metrics?.sandboxStarted(driver.name, (performance.now() - startedAt) / 1000);
      return new LiveContainer(
        sandbox,
        { memory: memoryLimit, pids: this.#options.config.pidsLimit },
        this.#options.config.maxSessionsPerContainer,
        egress?.proxy,
      );
    } catch (error) {
      await egress?.proxy.close();
      throw error;
    }
  }

  /**
   * The container's egress proxy and what its sandbox needs to reach it. Every sandbox gets one, even
   * with `disabled` (which refuses everything, and logs it), so a pooled sandbox can take any policy
   * without secrets when it is claimed; none at all when this server has no forwarder.
   */
  async #startEgress(
    id: string,
    policy: ContainerEgressPolicy,
  ): Promise<{ proxy: EgressProxy; spec: SandboxEgress } | undefined> {
    const egress = this.#options.egress;
    if (!egress?.forwarder) return undefined;
    this.#forwarder ??= this.#stageForwarder(egress.directory, egress.forwarder);
    const forwarder = await this.#forwarder.catch((error: unknown) => {
      this.#forwarder = undefined;
      throw error;
    });
    // A short folder name: a unix socket's path must fit in 108 bytes, and ids are 53 characters.
    const folder = createHash('sha256').update(id).digest('hex').slice(0, 16);
    const proxy = await EgressProxy.start({
      containerId: id,
      directory: `${egress.directory}/${folder}`,
      policy,
      record: (record) => egress.record(id, record),
      extraCAs: egress.upstreamCAs,
    });
    const environment = [
      ...egressEnvironment(),
      ...Object.entries(policy.secretEnvironment()).map(([name, value]) => `${name}=${value}`),
    ];
    return { proxy, spec: { socketDir: proxy.directory, forwarder, environment } };
  }

  async #stageForwarder(directory: string, built: string): Promise<string> {
    await mkdir(directory, { recursive: true, mode: 0o755 });
    await chmod(directory, 0o755);
    return stageEgressForwarder(built, `${directory}/bin`);
  }

  #ceiling(): EgressCeiling {
    return this.#options.egress?.ceiling ?? closedCeiling;
  }

  #containersDir(): string {
    return `${this.#options.directory}/containers`;
  }

  #containerDir(id: string): string {
    return `${this.#containersDir()}/${id}`;
  }

  /** The attached skills' files, one folder per skill: mounted read-only at /skills. */
  #skillsDir(id: string): string {
    return `${this.#containerDir(id)}/skills`;
  }
}

/** Without egress, every policy is `disabled`: a ceiling that allows nothing stands in. */
const closedCeiling = (() => {
  const ceiling = EgressCeiling.parse({
    allowedDomains: [],
    deniedDomains: [],
    allowPrivateNetworks: [],
    hosts: {},
  });
  if (!(ceiling instanceof EgressCeiling)) throw new Error('the closed egress ceiling does not parse');
  return ceiling;
})();

/** How many leftover sandboxes are stopped at once after a restart. */
const reapParallelism = 8;
