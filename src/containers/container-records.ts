import type { StoredNetworkPolicy } from '../network/egress-policy.js';
import { unixSeconds, type Clock } from '../clock.js';
import type { SandboxConfig } from '../config/config-schema.js';
import { BerthError, notFound } from '../errors/berth-error.js';
import type { FileContent, FileService } from '../files/file-service.js';
import type { SandboxImage } from '../sandbox/sandbox-driver.js';
import type { ResolvedSkills, SkillService } from '../skills/skill-service.js';
import type { Page, PageRequest, StoredContainer, ContainerStore } from '../store/store.js';
import type { ContainerSkillInfo, NewContainer } from './shell-host.js';

/** Where a container's skills are mounted inside its sandbox. */
export const skillsMountPath = '/skills';

export interface ContainerRecordsOptions {
  /** Where the records are kept. */
  readonly store: ContainerStore;
  /** The Files API files a new container's `fileIds` name. */
  readonly files: FileService;
  /** Resolves the skills a container is created with. */
  readonly skills: SkillService;
  /** The default image and the per-project cap. */
  readonly config: SandboxConfig;
  /** Resolves an image name to its root on the host: a name that does not resolve is refused. */
  readonly resolveImage: (name: string) => Promise<SandboxImage>;
  /** Stamps creation and activity. */
  readonly clock: Clock;
}

/** A new container's options, checked and resolved before any sandbox starts. */
export interface CheckedContainer {
  /** The image it starts from. */
  readonly image: string;
  /** The files to copy into /mnt/data, in `fileIds` order. */
  readonly sources: readonly FileContent[];
  /** The skills to mount; `release()` them once the sandbox has its copies. */
  readonly skills: ResolvedSkills;
}

/**
 * Containers' records in the Store: the checks a new container passes before anything starts, and
 * reading, listing, touching and removing records. A container another project owns reads as unknown.
 */
export class ContainerRecords {
  readonly #options: ContainerRecordsOptions;

  constructor(options: ContainerRecordsOptions) {
    this.#options = options;
  }

  /**
   * Checks the project's cap, that every file exists, the image and the skills (inline zips unpacked),
   * so that a bad request costs nothing: no sandbox starts for it.
   */
  async check(projectId: string, request: NewContainer): Promise<CheckedContainer> {
    const { store, config } = this.#options;
    if ((await store.countContainers(projectId, 'running')) >= config.maxContainersPerProject) {
      throw new BerthError(
        'container_limit_reached',
        `This project already has ${config.maxContainersPerProject} live containers, the most this server allows; delete one or let one expire.`,
      );
    }
    const sources: FileContent[] = [];
    for (const [index, fileId] of request.fileIds.entries()) {
      const content = await this.#options.files.openContent(projectId, fileId);
      if (!content) throw notFound('file', fileId, `file_ids[${index}]`);
      sources.push(content);
    }
    const image = request.image ?? config.image;
    if (image !== config.image) {
      await this.#options.resolveImage(image).catch((error: unknown) => {
        throw new BerthError('invalid_value', error instanceof Error ? error.message : String(error), {
          param: 'image',
        });
      });
    }
    const skills = await this.#options.skills.resolveForContainer(projectId, request.skills ?? []);
    return { image, sources, skills };
  }

  /** Records a container whose sandbox `id` is running. */
  async add(
    projectId: string,
    id: string,
    request: NewContainer,
    checked: CheckedContainer,
    networkPolicy: StoredNetworkPolicy,
  ): Promise<StoredContainer> {
    const now = unixSeconds(this.#options.clock);
    const stored: StoredContainer = {
      id,
      projectId,
      name: request.name,
      status: 'running',
      createdAt: now,
      lastActiveAt: now,
      expiresAfterMinutes: request.expiresAfterMinutes,
      memoryLimit: request.memoryLimit,
      networkPolicy,
      image: checked.image,
      skills: checked.skills.attached,
    };
    await this.#options.store.createContainer(stored);
    return stored;
  }

  /** The container in any status; 404 when unknown or another project's. */
  async get(projectId: string, id: string): Promise<StoredContainer> {
    const container = await this.#options.store.getContainer(projectId, id);
    if (!container) throw notFound('container', id);
    return container;
  }

  /** The container if it is running; a 404 that says so when it expired. */
  async getRunning(projectId: string, id: string): Promise<StoredContainer> {
    const container = await this.get(projectId, id);
    if (container.status !== 'running') {
      throw new BerthError('not_found', `Container '${id}' has expired; its files are gone.`);
    }
    return container;
  }

  /** Stores the container's new network policy; 404 when it is gone. */
  async setNetworkPolicy(projectId: string, id: string, policy: StoredNetworkPolicy): Promise<void> {
    if (!(await this.#options.store.setContainerNetworkPolicy(projectId, id, policy)))
      throw notFound('container', id);
  }

  /** Moves the container's `last_active_at` to now (it expires that much later). */
  async touch(container: StoredContainer): Promise<void> {
    const now = unixSeconds(this.#options.clock);
    if (now !== container.lastActiveAt)
      await this.#options.store.updateContainer(container.id, 'running', now);
  }

  /** The skills mounted in the container: each one's name, description and folder. */
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

  /** Ids of the running containers, for the start-up reaper. */
  async runningIds(): Promise<ReadonlySet<string>> {
    return new Set((await this.#options.store.listContainersByStatus('running')).map((c) => c.id));
  }

  /** Removes the record (its sandbox and files are torn down after it, in the background). */
  async remove(projectId: string, id: string): Promise<void> {
    await this.#options.store.deleteContainer(projectId, id);
  }
}
