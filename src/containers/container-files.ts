import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { unixSeconds, type Clock } from '../clock.js';
import { notFound } from '../errors/berth-error.js';
import type { FileContent, FileService } from '../files/file-service.js';
import type { IdGenerator } from '../ids.js';
import type {
  Page,
  PageRequest,
  StoredContainer,
  StoredContainerFile,
  ContainerStore,
} from '../store/store.js';
import type { LiveContainer } from './live-container.js';
import { dataDirectory } from './sandbox-files.js';

export interface ContainerFilesOptions {
  /** Where the container files' records are kept. */
  readonly store: ContainerStore;
  /** The Files API files that can be copied in. */
  readonly files: FileService;
  /** Names new file records (`cfile_…`). */
  readonly ids: IdGenerator;
  /** Stamps new file records. */
  readonly clock: Clock;
  /** The container in any status; 404 when unknown or another project's. */
  readonly get: (projectId: string, id: string) => Promise<StoredContainer>;
  /** The running container's sandbox (started if need be), marked active. */
  readonly use: (projectId: string, id: string) => Promise<LiveContainer>;
  /** Runs `work` with the container marked busy, so expiry waits for it. */
  readonly whileBusy: <T>(id: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * A container's files under /mnt/data and their records: uploads and copies in (`source: "user"`),
 * what its commands wrote (found by listing the sandbox, recorded as `source: "assistant"`), reads
 * and deletes. Every read and write runs inside the sandbox (see `sandbox-files.ts`).
 */
export class ContainerFiles {
  readonly #options: ContainerFilesOptions;

  constructor(options: ContainerFilesOptions) {
    this.#options = options;
  }

  /** Copies a new container's Files API files into its /mnt/data, before it is recorded. */
  async copyIn(id: string, live: LiveContainer, sources: readonly FileContent[]): Promise<void> {
    for (const source of sources) {
      const path = `${dataDirectory}/${source.file.filename}`;
      const bytes = await live.files.write(path, createReadStream(source.path));
      await this.#options.store.putContainerFile({
        id: this.#options.ids.next('cfile'),
        containerId: id,
        path,
        source: 'user',
        bytes,
        createdAt: unixSeconds(this.#options.clock),
      });
    }
  }

  /** Lists the container's files, first recording what its commands wrote (`source: "assistant"`). */
  async list(projectId: string, id: string, page: PageRequest): Promise<Page<StoredContainerFile>> {
    await this.#sync(projectId, id);
    return this.#options.store.listContainerFiles(id, page);
  }

  /** Every file of the container under /mnt/data, after recording what its commands wrote. */
  async all(projectId: string, id: string): Promise<readonly StoredContainerFile[]> {
    await this.#sync(projectId, id);
    return this.#options.store.allContainerFiles(id);
  }

  /**
   * Every file of the container under /mnt/data with its modification time (epoch milliseconds), after
   * recording what its commands wrote: the dashboard's artefact lineage starts here.
   */
  async allWithTimes(
    projectId: string,
    id: string,
  ): Promise<{ file: StoredContainerFile; modifiedMs: number }[]> {
    const found = await this.#sync(projectId, id);
    const times = new Map(found.map((entry) => [entry.path, entry.modifiedMs]));
    return (await this.#options.store.allContainerFiles(id)).flatMap((file) => {
      const modifiedMs = times.get(file.path);
      return modifiedMs === undefined ? [] : [{ file, modifiedMs }];
    });
  }

  async get(projectId: string, id: string, fileId: string): Promise<StoredContainerFile> {
    await this.#options.get(projectId, id);
    let file = await this.#options.store.getContainerFile(id, fileId);
    if (!file) {
      await this.#sync(projectId, id);
      file = await this.#options.store.getContainerFile(id, fileId);
    }
    if (!file) throw notFound('container file', fileId);
    return file;
  }

  /** Writes an upload into /mnt/data under `filename` (a single safe segment) as a user file. */
  async put(
    projectId: string,
    id: string,
    filename: string,
    content: Readable,
  ): Promise<StoredContainerFile> {
    const { store } = this.#options;
    const live = await this.#options.use(projectId, id);
    const path = `${dataDirectory}/${filename}`;
    const bytes = await this.#options.whileBusy(id, () => live.files.write(path, content));
    const existing = (await store.allContainerFiles(id)).find((file) => file.path === path);
    const file: StoredContainerFile = {
      id: existing?.id ?? this.#options.ids.next('cfile'),
      containerId: id,
      path,
      source: 'user',
      bytes,
      createdAt: existing?.createdAt ?? unixSeconds(this.#options.clock),
    };
    await store.putContainerFile(file);
    return (await store.getContainerFile(id, file.id)) ?? file;
  }

  /** Copies a Files API file into the container. */
  async copy(projectId: string, id: string, fileId: string): Promise<StoredContainerFile> {
    await this.#options.get(projectId, id);
    const content = await this.#options.files.openContent(projectId, fileId);
    if (!content) throw notFound('file', fileId, 'file_id');
    return this.put(projectId, id, content.file.filename, createReadStream(content.path));
  }

  async openContent(projectId: string, id: string, fileId: string): Promise<Readable> {
    const file = await this.get(projectId, id, fileId);
    const live = await this.#options.use(projectId, id);
    try {
      return await live.files.read(file.path);
    } catch {
      // It was removed or replaced by something that is not a file since it was listed.
      await this.#options.store.deleteContainerFile(id, fileId);
      throw notFound('container file', fileId);
    }
  }

  async delete(projectId: string, id: string, fileId: string): Promise<void> {
    const file = await this.get(projectId, id, fileId);
    const live = await this.#options.use(projectId, id);
    await live.files.remove(file.path);
    await this.#options.store.deleteContainerFile(id, fileId);
  }

  /** Brings the records in line with the sandbox's /mnt/data: new and changed files, and gone ones. */
  async #sync(projectId: string, id: string): Promise<{ path: string; modifiedMs: number }[]> {
    const { store, ids } = this.#options;
    const live = await this.#options.use(projectId, id);
    const found = await this.#options.whileBusy(id, () => live.files.list());
    const recorded = new Map((await store.allContainerFiles(id)).map((file) => [file.path, file]));
    const now = unixSeconds(this.#options.clock);
    for (const { path, bytes } of found) {
      const known = recorded.get(path);
      recorded.delete(path);
      if (known && known.bytes === bytes) continue;
      await store.putContainerFile({
        id: known?.id ?? ids.next('cfile'),
        containerId: id,
        path,
        source: known?.source ?? 'assistant',
        bytes,
        createdAt: known?.createdAt ?? now,
      });
    }
    for (const gone of recorded.values()) await store.deleteContainerFile(id, gone.id);
    return found;
  }
}
