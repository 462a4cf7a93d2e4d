import type { StoredNetworkPolicy } from '../network/egress-policy.js';
import type { Page, PageRequest } from './page.js';

/**
 * Containers' records and the files known in them (their bytes live in the sandbox's disk image, not
 * here). Reads of a container are scoped by `projectId`; its files are reached through a container
 * the caller has already found in its project.
 */
export interface ContainerStore {
  /** Records a new container. */
  createContainer(container: StoredContainer): Promise<void>;
  /** The container in any status, or undefined (unknown id, or another project's). */
  getContainer(projectId: string, id: string): Promise<StoredContainer | undefined>;
  /** One page of a project's containers in creation order, optionally only those with `name`. */
  listContainers(projectId: string, query: ContainerListQuery): Promise<Page<StoredContainer>>;
  /** Sets a container's status and last activity (Unix seconds). */
  updateContainer(id: string, status: ContainerStatus, lastActiveAt: number): Promise<void>;
  /** Replaces a container's network policy; false when it is unknown or another project's. */
  setContainerNetworkPolicy(projectId: string, id: string, policy: StoredNetworkPolicy): Promise<boolean>;
  /** Deletes a container with its file records; false when there was nothing to delete. */
  deleteContainer(projectId: string, id: string): Promise<boolean>;
  /** Containers of every project in one status (the expiry sweep and start-up recovery). */
  listContainersByStatus(status: ContainerStatus): Promise<readonly StoredContainer[]>;
  /** How many of a project's containers are in `status` (the per-project cap). */
  countContainers(projectId: string, status: ContainerStatus): Promise<number>;
  /** Records a file in a container, or updates its size when its path is already recorded. */
  putContainerFile(file: StoredContainerFile): Promise<void>;
  /** One file record of a container, or undefined. */
  getContainerFile(containerId: string, id: string): Promise<StoredContainerFile | undefined>;
  /** One page of a container's file records in creation order. */
  listContainerFiles(containerId: string, page: PageRequest): Promise<Page<StoredContainerFile>>;
  /** Every file record of a container, in creation order. */
  allContainerFiles(containerId: string): Promise<readonly StoredContainerFile[]>;
  /** Deletes one file record; false when there was nothing to delete. */
  deleteContainerFile(containerId: string, id: string): Promise<boolean>;
}

/** `running` while usable; `expired` after its idle time ran out (its files are gone). */
export type ContainerStatus = 'running' | 'expired';

export interface StoredContainer {
  /** `cntr_…`. */
  readonly id: string;
  readonly projectId: string;
  /** The name the client gave. */
  readonly name: string;
  readonly status: ContainerStatus;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds. */
  readonly lastActiveAt: number;
  /** Idle minutes after which it expires. */
  readonly expiresAfterMinutes: number;
  /** `1g`, `4g`, `16g` or `64g`. */
  readonly memoryLimit: string;
  /**
   * What the container may reach, as narrowed when it was made: domains, and secrets with their values
   * and placeholders (the proxy needs both after a restart; the container object shows neither).
   */
  readonly networkPolicy: StoredNetworkPolicy;
  /** The image the container's root was made from (`host`, `debian`). */
  readonly image: string;
  /** The skills mounted at `/skills/<name>`, in the order they were attached. */
  readonly skills: readonly AttachedSkill[];
}

/** A skill attached to a container: what the model is told about it, and where it came from. */
export interface AttachedSkill {
  /** The folder under `/skills` (the SKILL.md front matter's `name`, or the inline skill's). */
  readonly name: string;
  /** The front matter's `description`. */
  readonly description: string;
  /** The skill and version number it was copied from; null for an inline skill. */
  readonly skillId: string | null;
  /** See `skillId`. */
  readonly version: number | null;
}

export interface ContainerListQuery extends PageRequest {
  /** Only containers with this name. */
  readonly name?: string | undefined;
}

/** A file known in a container's /mnt/data. */
export interface StoredContainerFile {
  /** `cfile_…`. */
  readonly id: string;
  readonly containerId: string;
  /** Absolute path inside the container, under /mnt/data. */
  readonly path: string;
  /** `user` for an upload, `assistant` for a file a command wrote. */
  readonly source: 'user' | 'assistant';
  readonly bytes: number;
  /** Unix seconds. */
  readonly createdAt: number;
}
