import type { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { SandboxConfig } from '../config/config-schema.js';
import { BerthError } from '../errors/berth-error.js';
import type { FileService } from '../files/file-service.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Tracing } from '../tracing.js';
import type { SandboxDriver, SandboxImage, SandboxLimits } from '../sandbox/sandbox-driver.js';
import type { NetworkPolicyRequest } from '../network/egress-policy.js';
import type { SkillService } from '../skills/skill-service.js';
import type {
  Page,
  PageRequest,
  StoredContainer,
  StoredContainerFile,
  ContainerStore,
  EgressLogEntry,
  EgressLogStore,
} from '../store/store.js';
import { ContainerEgressLog } from './container-egress-log.js';
import { ContainerExpiry } from './container-expiry.js';
import { ContainerFiles } from './container-files.js';
import type { MemoryLimit } from './container-object.js';
import { ContainerRecords } from './container-records.js';
import { TooManySessionsError, type LiveContainer } from './live-container.js';
import { LiveSandboxes, type ContainerEgressOptions } from './live-sandboxes.js';
import type {
  CommandResult,
  ContainerSkillInfo,
  ExecRequest,
  NewContainer,
  ShellHost,
} from './shell-host.js';

// Kept importable from here: the routes and the runtime name them through the service.
export { skillsMountPath } from './container-records.js';
export { defaultSessionName, type ContainerSkillInfo, type NewContainer } from './shell-host.js';

export interface ContainerServiceOptions {
  readonly store: ContainerStore;
  readonly files: FileService;
  /** Resolves the skills a container is created with. */
  readonly skills: SkillService;
  /** Undefined when containers are off: every call then answers `containers_disabled`. */
  readonly driver: SandboxDriver | undefined;
  readonly config: SandboxConfig;
  /** `<dataDir>/sandbox`: container disks and images. */
  readonly directory: string;
  /** Resolves an image name to its root on the host (`host`, or a built image). */
  readonly resolveImage: (name: string) => Promise<SandboxImage>;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where containers' egress decisions are kept. */
  readonly egressLog: EgressLogStore;
  /** How containers reach the network; undefined for never (only `disabled` policies are taken). */
  readonly network?: Omit<ContainerEgressOptions, 'record'> | undefined;
  /** How often idle containers are looked for; 30 s by default. */
  readonly sweepIntervalMs?: number;
  /** Containers created and expired, sandbox start times, egress decisions, live and pooled counts. */
  readonly metrics?: Metrics | undefined;
  /** Spans of sandbox starts. */
  readonly tracing?: Tracing | undefined;
}

/**
 * Containers, as the routes, the runtime and the engine (through `ShellHost`) see them: one facade over
 * their records (`container-records.ts`), their running sandboxes and warm pool (`live-sandboxes.ts`),
 * their files (`container-files.ts`) and idle expiry (`container-expiry.ts`). What needs more than one
 * of those — creating a container, running commands, deleting — is put together here.
 */
export class ContainerService implements ShellHost {
  readonly #options: ContainerServiceOptions;
  readonly #records: ContainerRecords;
  readonly #sandboxes: LiveSandboxes;
  readonly #files: ContainerFiles;
  readonly #expiry: ContainerExpiry;
  readonly #egressLog: ContainerEgressLog;
  /** Deleted containers whose sandboxes are still being torn down. */
  readonly #teardowns = new Set<Promise<void>>();
  #started: Promise<void> = Promise.resolve();

  constructor(options: ContainerServiceOptions) {
    this.#options = options;
    this.#records = new ContainerRecords(options);
    this.#egressLog = new ContainerEgressLog(options.egressLog, options.ids, options.logger);
    const { network } = options;
    this.#sandboxes = new LiveSandboxes({
      ...options,
      egress: network && {
        ...network,
        record: (id, record) => {
          options.metrics?.egress(record.allowed ? 'allowed' : 'denied');
          this.#egressLog.record(id, record);
        },
      },
    });
    this.#files = new ContainerFiles({
      ...options,
      get: (projectId, id) => this.get(projectId, id),
      use: (projectId, id) => this.#use(projectId, id),
      whileBusy: (id, work) => this.#sandboxes.whileBusy(id, work),
    });
    this.#expiry = new ContainerExpiry({
      ...options,
      isBusy: (id) => this.#sandboxes.isBusy(id),
      discard: (id) => this.#sandboxes.discard(id),
      onExpired: () => {
        if (options.driver) options.metrics?.containerExpired(options.driver.name);
      },
    });
    const { driver, metrics } = options;
    if (driver && metrics) {
      metrics.observeContainers(() => [
        { driver: driver.name, live: this.#sandboxes.running, pooled: this.#sandboxes.pooled },
      ]);
    }
  }

  /** How long a hosted shell command may run when its call names no timeout (`sandbox.commandTimeoutMs`). */
  get commandTimeoutMs(): number {
    return this.#options.config.commandTimeoutMs;
  }

  get enabled(): boolean {
    return this.#sandboxes.enabled;
  }

  /** Why the driver failed the last sandbox start, until one succeeds again (for readiness). */
  get lastSandboxStartFailure(): string | undefined {
    return this.#sandboxes.lastStartFailure;
  }

  /** Sandboxes started and waiting in the warm pool (`bench/sandbox.ts` waits until it is full). */
  get pooledSandboxes(): number {
    return this.#sandboxes.pooled;
  }

  /**
   * Removes what a crash left (sandboxes, mounts, disks of deleted containers), expires what went idle
   * meanwhile, then fills the pool — in the background: the server listens at once, and only requests
   * that start or remove a sandbox wait for the cleanup (see `LiveSandboxes.reapOrphans`).
   */
  async start(): Promise<void> {
    if (!this.enabled) return;
    const known = await this.#records.runningIds();
    this.#started = this.#sandboxes
      .reapOrphans(known)
      .then(async () => {
        await this.sweepExpired();
        this.#expiry.start();
        this.#sandboxes.fill();
      })
      .catch((error: unknown) => {
        this.#options.logger.error('cleaning up after the previous run failed', { error: String(error) });
      });
  }

  /** Settles once `start`'s background cleanup is done (tests and benchmarks wait for it). */
  get started(): Promise<void> {
    return this.#started;
  }

  async create(projectId: string, request: NewContainer): Promise<StoredContainer> {
    this.#sandboxes.requireEnabled();
    // Checked (and inline zips unpacked) before any sandbox starts: a bad request costs nothing.
    const policy = this.#sandboxes.egressPolicy(request.networkPolicy);
    const checked = await this.#records.check(projectId, request);
    const { id, live } =
      checked.skills.attached.length > 0
        ? this.#sandboxes.startWithSkills(checked.image, checked.skills, policy)
        : this.#sandboxes.claim(checked.image, policy);
    let container: LiveContainer;
    try {
      container = await live;
      if (request.memoryLimit !== '1g')
        await container.sandbox.updateLimits(this.#sandboxes.limits(request.memoryLimit));
      await this.#files.copyIn(id, container, checked.sources);
    } catch (error) {
      await this.#sandboxes.discard(id);
      throw error;
    } finally {
      await checked.skills.release();
    }
    const stored = await this.#records.add(projectId, id, request, checked, policy.toStored());
    if (this.#options.driver) this.#options.metrics?.containerCreated(this.#options.driver.name);
    this.#egressLog.attach(id, projectId);
    this.#sandboxes.adopt(id, container);
    return stored;
  }

  /** The container in any status; 404 when unknown or another project's. */
  get(projectId: string, id: string): Promise<StoredContainer> {
    return this.#records.get(projectId, id);
  }

  /**
   * What the dashboard shows of a container beyond its object: the driver its sandbox runs on (the
   * server's) and the limits that sandbox gets. 404 when unknown or another project's.
   */
  async describe(
    projectId: string,
    id: string,
  ): Promise<{ container: StoredContainer; driver: string | null; limits: SandboxLimits }> {
    const container = await this.#records.get(projectId, id);
    return {
      container,
      driver: this.#options.driver?.name ?? null,
      limits: this.#sandboxes.limits(container.memoryLimit as MemoryLimit),
    };
  }

  /** The container if it is running (a 404 that says so when it expired), without starting it. */
  async getRunning(projectId: string, id: string): Promise<StoredContainer> {
    this.#sandboxes.requireEnabled();
    return this.#records.getRunning(projectId, id);
  }

  /**
   * The skills mounted in the container, for the model's instructions: each one's name, description
   * and folder (which holds its SKILL.md). 404 when the container is unknown or another project's.
   */
  skillsOf(projectId: string, id: string): Promise<readonly ContainerSkillInfo[]> {
    return this.#records.skillsOf(projectId, id);
  }

  list(
    projectId: string,
    query: PageRequest & { name?: string | undefined },
  ): Promise<Page<StoredContainer>> {
    return this.#records.list(projectId, query);
  }

  /**
   * Berth's extension: replaces a running container's network policy (see
   * `LiveSandboxes.replacementPolicy` for what may change). Stored first, then given to the sandbox;
   * connections already open keep going, new ones follow the new policy at once.
   */
  async setNetworkPolicy(
    projectId: string,
    id: string,
    request: { readonly policy: NetworkPolicyRequest; readonly param: string },
  ): Promise<StoredContainer> {
    this.#sandboxes.requireEnabled();
    const container = await this.#records.getRunning(projectId, id);
    const policy = this.#sandboxes.replacementPolicy(container.networkPolicy, request);
    const networkPolicy = policy.toStored();
    await this.#records.setNetworkPolicy(projectId, id, networkPolicy);
    await this.#sandboxes.applyPolicy(id, policy);
    return { ...container, networkPolicy };
  }

  /**
   * Removes the container's record (from now on it is a 404), then, in the background, kills every
   * process, unmounts and removes its files: that waits for the processes to be reaped (seconds on
   * some hosts), which the client need not wait for. A crash before the teardown ends leaves a disk
   * with no record, which the next start removes (`reapOrphans`); `close` waits for teardowns.
   */
  async delete(projectId: string, id: string): Promise<void> {
    await this.get(projectId, id);
    await this.#records.remove(projectId, id);
    this.#egressLog.forget(id);
    const teardown = this.#sandboxes
      .discard(id)
      .catch((error: unknown) => {
        this.#options.logger.error('tearing down a deleted container failed', {
          container: id,
          error: String(error),
        });
      })
      .finally(() => this.#teardowns.delete(teardown));
    this.#teardowns.add(teardown);
  }

  /** Settles once every deleted container's teardown so far has ended. */
  async teardownsDone(): Promise<void> {
    await Promise.all(this.#teardowns);
  }

  /**
   * One page of the container's egress log (every connection its sandbox asked for, allowed or not),
   * or only one shell call's; 404 when the container is unknown or another project's.
   */
  async listEgress(
    projectId: string,
    id: string,
    page: PageRequest & { readonly callId?: string | undefined },
  ): Promise<Page<EgressLogEntry>> {
    await this.get(projectId, id);
    return this.#egressLog.list(projectId, id, page);
  }

  async exec(projectId: string, id: string, request: ExecRequest): Promise<CommandResult[]> {
    const live = await this.#use(projectId, id);
    const { maxSessionsPerContainer } = this.#options.config;
    if (!live.hasSession(request.session) && live.sessionCount >= maxSessionsPerContainer) {
      throw new BerthError('invalid_value', new TooManySessionsError(maxSessionsPerContainer).message, {
        param: 'session',
      });
    }
    const results = await this.#sandboxes.whileBusy(id, () =>
      this.#egressLog.whileRunning(id, request.origin, () => live.exec(request)),
    );
    if (live.broken) await this.#sandboxes.restart(id);
    return results;
  }

  /** Lists the container's files, first recording what its commands wrote (`source: "assistant"`). */
  listFiles(projectId: string, id: string, page: PageRequest): Promise<Page<StoredContainerFile>> {
    return this.#files.list(projectId, id, page);
  }

  /** Every file of the container with its modification time (epoch ms), after recording what its commands wrote. */
  filesWithTimes(
    projectId: string,
    id: string,
  ): Promise<{ file: StoredContainerFile; modifiedMs: number }[]> {
    return this.#files.allWithTimes(projectId, id);
  }

  /** Every file of the container under /mnt/data, after recording what its commands wrote. */
  allFiles(projectId: string, id: string): Promise<readonly StoredContainerFile[]> {
    return this.#files.all(projectId, id);
  }

  getFile(projectId: string, id: string, fileId: string): Promise<StoredContainerFile> {
    return this.#files.get(projectId, id, fileId);
  }

  /** Writes an upload into /mnt/data under `filename` (a single safe segment) as a user file. */
  putFile(projectId: string, id: string, filename: string, content: Readable): Promise<StoredContainerFile> {
    return this.#files.put(projectId, id, filename, content);
  }

  /** Copies a Files API file into the container. */
  copyFile(projectId: string, id: string, fileId: string): Promise<StoredContainerFile> {
    return this.#files.copy(projectId, id, fileId);
  }

  openFileContent(projectId: string, id: string, fileId: string): Promise<Readable> {
    return this.#files.openContent(projectId, id, fileId);
  }

  deleteFile(projectId: string, id: string, fileId: string): Promise<void> {
    return this.#files.delete(projectId, id, fileId);
  }

  /** Expires containers idle for longer than their `expires_after`: processes and files go. */
  sweepExpired(): Promise<number> {
    return this.#expiry.sweep();
  }

  /** Stops every sandbox (files stay on their disks) and the pool's (which are removed). */
  async close(): Promise<void> {
    await this.#started;
    this.#expiry.stop();
    await this.teardownsDone();
    await this.#sandboxes.close();
  }

  /** The running container, its sandbox started if it is not (after a restart), marked active. */
  async #use(projectId: string, id: string): Promise<LiveContainer> {
    const container = await this.getRunning(projectId, id);
    await this.#records.touch(container);
    this.#egressLog.attach(id, projectId);
    return this.#sandboxes.liveFor(container);
  }
}
