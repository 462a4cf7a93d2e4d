import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { unixSeconds, type Clock } from '../clock.js';
import type { SandboxConfig } from '../config/config-schema.js';
import { BerthError, notFound } from '../errors/berth-error.js';
import type { FileService } from '../files/file-service.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { SandboxDriver, SandboxImage, SandboxLimits } from '../sandbox/sandbox-driver.js';
import type { CommandResult } from '../sandbox/shell-session.js';
import { normalizeModes } from '../skills/skill-bundle.js';
import type { ResolvedSkills, SkillService } from '../skills/skill-service.js';
import type { Page, PageRequest, StoredContainer, StoredContainerFile, Store } from '../store/store.js';
import { memoryLimits, type MemoryLimit } from './container-object.js';
import { LiveContainer, TooManySessionsError } from './live-container.js';
import { dataDirectory } from './sandbox-files.js';
import {
  defaultSessionName,
  type ContainerSkillInfo,
  type ExecRequest,
  type NewContainer,
  type ShellHost,
} from './shell-host.js';

export interface ContainerServiceOptions {
  readonly store: Store;
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
  /** How often idle containers are looked for; 30 s by default. */
  readonly sweepIntervalMs?: number;
}

/** Where a container's skills are mounted inside its sandbox. */
export const skillsMountPath = '/skills';

// Kept importable from here: the routes and the runtime name them through the service.
export { defaultSessionName, type ContainerSkillInfo, type NewContainer } from './shell-host.js';

interface Pooled {
  readonly id: string;
  readonly live: Promise<LiveContainer>;
}

/**
 * Containers: their records in the Store, their sandboxes through the driver, their shell sessions and
 * files. A container's sandbox is started on first use after a restart (its files are on its disk; its
 * shells start fresh), stopped when the server stops, and removed with its disk on delete or expiry.
 * A warm pool of started sandboxes, each with its default session's shell already running, makes
 * `create` cheap.
 */
export class ContainerService implements ShellHost {
  readonly #options: ContainerServiceOptions;
  readonly #live = new Map<string, Promise<LiveContainer>>();
  /** Containers with commands or file transfers in progress: never expired under them. */
  readonly #busy = new Map<string, number>();
  #pool: Pooled[] = [];
  #filling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ContainerServiceOptions) {
    this.#options = options;
  }

  /** How long a hosted shell command may run when its call names no timeout (`sandbox.commandTimeoutMs`). */
  get commandTimeoutMs(): number {
    return this.#options.config.commandTimeoutMs;
  }

  get enabled(): boolean {
    return this.#options.driver !== undefined;
  }

  /** Sandboxes started and waiting in the warm pool (`bench/sandbox.ts` waits until it is full). */
  get pooledSandboxes(): number {
    return this.#pool.length;
  }

  /** Removes what a crash left (sandboxes, mounts, disks of deleted containers), then fills the pool. */
  async start(): Promise<void> {
    const driver = this.#options.driver;
    if (!driver) return;
    await mkdir(this.#containersDir(), { recursive: true, mode: 0o700 });
    const known = new Set((await this.#options.store.listContainersByStatus('running')).map((c) => c.id));
    for (const id of await driver.listRunning()) await driver.stop(id, this.#containerDir(id));
    for (const entry of await readdir(this.#containersDir())) {
      await driver.stop(entry, this.#containerDir(entry));
      if (!known.has(entry)) {
        this.#options.logger.info('removing an orphaned container disk', { container: entry });
        await rm(this.#containerDir(entry), { recursive: true, force: true });
      }
    }
    await this.sweepExpired();
    this.#timer = setInterval(() => {
      this.sweepExpired().catch((error: unknown) => {
        this.#options.logger.error('container expiry sweep failed', { error: String(error) });
      });
    }, this.#options.sweepIntervalMs ?? 30_000);
    this.#timer.unref();
    this.#fillPool();
  }

  async create(projectId: string, request: NewContainer): Promise<StoredContainer> {
    this.#requireEnabled();
    const { store, clock, config } = this.#options;
    if ((await store.countContainers(projectId, 'running')) >= config.maxContainersPerProject) {
      throw new BerthError(
        'container_limit_reached',
        `This project already has ${config.maxContainersPerProject} live containers, the most this server allows; delete one or let one expire.`,
      );
    }
    const sources = [];
    for (const [index, fileId] of request.fileIds.entries()) {
      const content = await this.#options.files.openContent(projectId, fileId);
      if (!content) throw notFound('file', fileId, `file_ids[${index}]`);
      sources.push(content);
    }

    const image = request.image ?? config.image;
    if (image !== config.image) {
      // Checked before any sandbox starts, so a typo costs nothing.
      await this.#options.resolveImage(image).catch((error: unknown) => {
        throw new BerthError('invalid_value', error instanceof Error ? error.message : String(error), {
          param: 'image',
        });
      });
    }
    // Checked (and inline zips unpacked) before any sandbox starts: a bad skill costs nothing.
    const skills = await this.#options.skills.resolveForContainer(projectId, request.skills ?? []);
    // A container with skills starts cold: a pooled sandbox is already running without its mount.
    const { id, live } =
      skills.attached.length > 0 ? this.#startWithSkills(image, skills) : this.#claim(image);
    let container: LiveContainer;
    try {
      container = await live;
      if (request.memoryLimit !== '1g')
        await container.sandbox.updateLimits(this.#limits(request.memoryLimit));
      for (const source of sources) {
        const path = `${dataDirectory}/${source.file.filename}`;
        const bytes = await container.files.write(path, createReadStream(source.path));
        await store.putContainerFile({
          id: this.#options.ids.next('cfile'),
          containerId: id,
          path,
          source: 'user',
          bytes,
          createdAt: unixSeconds(clock),
        });
      }
    } catch (error) {
      await this.#discard(id);
      throw error;
    } finally {
      await skills.release();
    }
    const now = unixSeconds(clock);
    const stored: StoredContainer = {
      id,
      projectId,
      name: request.name,
      status: 'running',
      createdAt: now,
      lastActiveAt: now,
      expiresAfterMinutes: request.expiresAfterMinutes,
      memoryLimit: request.memoryLimit,
      networkPolicy: { type: 'disabled' },
      image,
      skills: skills.attached,
    };
    await store.createContainer(stored);
    this.#live.set(id, Promise.resolve(container));
    return stored;
  }

  /** The container in any status; 404 when unknown or another project's. */
  async get(projectId: string, id: string): Promise<StoredContainer> {
    const container = await this.#options.store.getContainer(projectId, id);
    if (!container) throw notFound('container', id);
    return container;
  }

  /** The container if it is running (a 404 that says so when it expired), without starting it. */
  async getRunning(projectId: string, id: string): Promise<StoredContainer> {
    this.#requireEnabled();
    const container = await this.get(projectId, id);
    if (container.status !== 'running') {
      throw new BerthError('not_found', `Container '${id}' has expired; its files are gone.`);
    }
    return container;
  }

  /**
   * The skills mounted in the container, for the model's instructions: each one's name, description
   * and folder (which holds its SKILL.md). 404 when the container is unknown or another project's.
   */
  async skillsOf(projectId: string, id: string): Promise<readonly ContainerSkillInfo[]> {
    const container = await this.get(projectId, id);
    return container.skills.map((skill) => ({
      name: skill.name,
      description: skill.description,
      path: `${skillsMountPath}/${skill.name}`,
    }));
  }

  list(
    projectId: string,
    query: PageRequest & { name?: string | undefined },
  ): Promise<Page<StoredContainer>> {
    return this.#options.store.listContainers(projectId, query);
  }

  /** Kills every process, unmounts and removes the container's files, then its record. */
  async delete(projectId: string, id: string): Promise<void> {
    await this.get(projectId, id);
    await this.#discard(id);
    await this.#options.store.deleteContainer(projectId, id);
  }

  async exec(projectId: string, id: string, request: ExecRequest): Promise<CommandResult[]> {
    const live = await this.#use(projectId, id);
    if (
      !live.hasSession(request.session) &&
      live.sessionCount >= this.#options.config.maxSessionsPerContainer
    ) {
      throw new BerthError(
        'invalid_value',
        new TooManySessionsError(this.#options.config.maxSessionsPerContainer).message,
        {
          param: 'session',
        },
      );
    }
    const results = await this.#whileBusy(id, () => live.exec(request));
    if (live.broken) await this.#restart(id);
    return results;
  }

  /** Lists the container's files, first recording what its commands wrote (`source: "assistant"`). */
  async listFiles(projectId: string, id: string, page: PageRequest): Promise<Page<StoredContainerFile>> {
    await this.#syncFiles(projectId, id);
    return this.#options.store.listContainerFiles(id, page);
  }

  /** Every file of the container under /mnt/data, after recording what its commands wrote. */
  async allFiles(projectId: string, id: string): Promise<readonly StoredContainerFile[]> {
    await this.#syncFiles(projectId, id);
    return this.#options.store.allContainerFiles(id);
  }

  async getFile(projectId: string, id: string, fileId: string): Promise<StoredContainerFile> {
    await this.get(projectId, id);
    let file = await this.#options.store.getContainerFile(id, fileId);
    if (!file) {
      await this.#syncFiles(projectId, id);
      file = await this.#options.store.getContainerFile(id, fileId);
    }
    if (!file) throw notFound('container file', fileId);
    return file;
  }

  /** Writes an upload into /mnt/data under `filename` (a single safe segment) as a user file. */
  async putFile(
    projectId: string,
    id: string,
    filename: string,
    content: Readable,
  ): Promise<StoredContainerFile> {
    const live = await this.#use(projectId, id);
    const path = `${dataDirectory}/${filename}`;
    const bytes = await this.#whileBusy(id, () => live.files.write(path, content));
    const existing = (await this.#options.store.allContainerFiles(id)).find((file) => file.path === path);
    const file: StoredContainerFile = {
      id: existing?.id ?? this.#options.ids.next('cfile'),
      containerId: id,
      path,
      source: 'user',
      bytes,
      createdAt: existing?.createdAt ?? unixSeconds(this.#options.clock),
    };
    await this.#options.store.putContainerFile(file);
    return (await this.#options.store.getContainerFile(id, file.id)) ?? file;
  }

  /** Copies a Files API file into the container. */
  async copyFile(projectId: string, id: string, fileId: string): Promise<StoredContainerFile> {
    await this.get(projectId, id);
    const content = await this.#options.files.openContent(projectId, fileId);
    if (!content) throw notFound('file', fileId, 'file_id');
    return this.putFile(projectId, id, content.file.filename, createReadStream(content.path));
  }

  async openFileContent(projectId: string, id: string, fileId: string): Promise<Readable> {
    const file = await this.getFile(projectId, id, fileId);
    const live = await this.#use(projectId, id);
    try {
      return await live.files.read(file.path);
    } catch {
      // It was removed or replaced by something that is not a file since it was listed.
      await this.#options.store.deleteContainerFile(id, fileId);
      throw notFound('container file', fileId);
    }
  }

  async deleteFile(projectId: string, id: string, fileId: string): Promise<void> {
    const file = await this.getFile(projectId, id, fileId);
    const live = await this.#use(projectId, id);
    await live.files.remove(file.path);
    await this.#options.store.deleteContainerFile(id, fileId);
  }

  /** Expires containers idle for longer than their `expires_after`: processes and files go. */
  async sweepExpired(): Promise<number> {
    const now = unixSeconds(this.#options.clock);
    let expired = 0;
    for (const container of await this.#options.store.listContainersByStatus('running')) {
      if (this.#busy.has(container.id)) continue;
      if (container.lastActiveAt + container.expiresAfterMinutes * 60 > now) continue;
      await this.#discard(container.id);
      await this.#options.store.updateContainer(container.id, 'expired', container.lastActiveAt);
      expired += 1;
    }
    return expired;
  }

  /** Stops every sandbox (files stay on their disks) and the pool's (which are removed). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#filling;
    const pooled = this.#pool;
    this.#pool = [];
    const live = [...this.#live];
    this.#live.clear();
    // Side by side, a few at a time: stopping a sandbox mostly waits for its processes to be reaped
    // (≈2 s each on a host whose pid 1 reaps slowly), and a server may hold hundreds.
    const stops: (() => Promise<void>)[] = [];
    for (const { id } of pooled) stops.push(() => this.#discard(id));
    for (const [, container] of live) stops.push(() => container.then((started) => started.stop()));
    const next = () => stops.shift();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let stop = next(); stop; stop = next()) await stop().catch(() => undefined);
      }),
    );
    await this.#options.driver?.close();
  }

  /** The running container, its sandbox started if it is not (after a restart), marked active. */
  async #use(projectId: string, id: string): Promise<LiveContainer> {
    const container = await this.getRunning(projectId, id);
    const now = unixSeconds(this.#options.clock);
    if (now !== container.lastActiveAt) await this.#options.store.updateContainer(id, 'running', now);
    let live = this.#live.get(id);
    if (!live) {
      // The skills' files stayed in the container's directory; the mount comes back with the sandbox.
      live = this.#startSandbox(
        id,
        container.image,
        container.memoryLimit as MemoryLimit,
        container.skills.length > 0,
      );
      this.#live.set(id, live);
      live.catch(() => this.#live.delete(id));
    }
    return live;
  }

  /** Stops a broken sandbox (its files stay); the next use starts it again. */
  async #restart(id: string): Promise<void> {
    const live = this.#live.get(id);
    this.#live.delete(id);
    if (live) await live.then((container) => container.stop()).catch(() => undefined);
    await this.#options.driver?.stop(id, this.#containerDir(id));
  }

  async #whileBusy<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.#busy.set(id, (this.#busy.get(id) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.#busy.get(id) ?? 1) - 1;
      if (left === 0) this.#busy.delete(id);
      else this.#busy.set(id, left);
    }
  }

  async #syncFiles(projectId: string, id: string): Promise<void> {
    const live = await this.#use(projectId, id);
    const found = await this.#whileBusy(id, () => live.files.list());
    const recorded = new Map(
      (await this.#options.store.allContainerFiles(id)).map((file) => [file.path, file]),
    );
    const now = unixSeconds(this.#options.clock);
    for (const { path, bytes } of found) {
      const known = recorded.get(path);
      recorded.delete(path);
      if (known && known.bytes === bytes) continue;
      await this.#options.store.putContainerFile({
        id: known?.id ?? this.#options.ids.next('cfile'),
        containerId: id,
        path,
        source: known?.source ?? 'assistant',
        bytes,
        createdAt: known?.createdAt ?? now,
      });
    }
    for (const gone of recorded.values()) await this.#options.store.deleteContainerFile(id, gone.id);
  }

  /** A pooled sandbox when the image is the pool's, else a new one. */
  #claim(image: string): Pooled {
    const pooled = image === this.#options.config.image ? this.#pool.shift() : undefined;
    this.#fillPool();
    if (pooled) return pooled;
    const id = this.#options.ids.next('cntr');
    return { id, live: this.#startSandbox(id, image, '1g') };
  }

  /**
   * A new sandbox with the skills copied into `<container dir>/skills/<name>/`, which the driver mounts
   * read-only at /skills. The copies belong to the server's user (root) with modes 0755/0644: the
   * sandbox's unprivileged uid can read and run them and change nothing, and the mount is read-only
   * besides. Each container has its own copy, so deleting a skill never pulls files from under one.
   */
  #startWithSkills(image: string, skills: ResolvedSkills): Pooled {
    const id = this.#options.ids.next('cntr');
    const live = (async () => {
      const dir = this.#skillsDir(id);
      await mkdir(dir, { recursive: true, mode: 0o755 });
      for (const [index, skill] of skills.attached.entries()) {
        const root = skills.roots[index];
        if (root === undefined) throw new Error(`skill ${skill.name} has no files`);
        await cp(root, `${dir}/${skill.name}`, { recursive: true, errorOnExist: true, force: false });
      }
      await normalizeModes(dir);
      return this.#startSandbox(id, image, '1g', true);
    })();
    return { id, live };
  }

  #fillPool(): void {
    if (this.#filling || this.#closed) return;
    this.#filling = (async () => {
      while (!this.#closed && this.#pool.length < this.#options.config.warmPool) {
        const id = this.#options.ids.next('cntr');
        const live = this.#startSandbox(id, this.#options.config.image, '1g').then(async (container) => {
          await container.warm(defaultSessionName);
          return container;
        });
        try {
          await live;
        } catch (error) {
          this.#options.logger.error('could not start a pooled sandbox', { error: String(error) });
          await this.#discard(id);
          return;
        }
        if (this.#closed) {
          await this.#discard(id);
          return;
        }
        this.#pool.push({ id, live });
      }
    })().finally(() => (this.#filling = undefined));
  }

  async #startSandbox(
    id: string,
    imageName: string,
    memoryLimit: MemoryLimit,
    withSkills = false,
  ): Promise<LiveContainer> {
    const driver = this.#requireEnabled();
    const dir = this.#containerDir(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const sandbox = await driver.start({
      id,
      dir,
      image: await this.#options.resolveImage(imageName),
      limits: this.#limits(memoryLimit),
      skillsDir: withSkills ? this.#skillsDir(id) : undefined,
    });
    return new LiveContainer(
      sandbox,
      { memory: memoryLimit, pids: this.#options.config.pidsLimit },
      this.#options.config.maxSessionsPerContainer,
    );
  }

  async #discard(id: string): Promise<void> {
    const live = this.#live.get(id);
    this.#live.delete(id);
    if (live) await live.then((container) => container.stop()).catch(() => undefined);
    await this.#options.driver?.stop(id, this.#containerDir(id));
    if (existsSync(this.#containerDir(id)))
      await rm(this.#containerDir(id), { recursive: true, force: true });
  }

  #limits(memoryLimit: MemoryLimit): SandboxLimits {
    const { config } = this.#options;
    return {
      memoryBytes: memoryLimits[memoryLimit],
      pids: config.pidsLimit,
      cpus: config.cpus,
      diskBytes: config.diskBytes,
    };
  }

  #requireEnabled(): SandboxDriver {
    if (!this.#options.driver) {
      throw new BerthError(
        'containers_disabled',
        'Containers are turned off on this server: no sandbox driver is available (see `berth serve` start-up output).',
      );
    }
    return this.#options.driver;
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
