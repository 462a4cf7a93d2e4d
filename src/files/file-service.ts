import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { unixSeconds, type Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import { isPartialFileName } from './partial-file.js';
import type { FileListQuery, FileStore, Page, StoredFile } from '../store/store.js';

/** OpenAI's default for `purpose: "batch"`: such files expire after 30 days unless told otherwise. */
const batchExpirySeconds = 30 * 24 * 60 * 60;
/** How many expired files one store query hands the sweep. */
const sweepBatch = 100;
/** What a blob's name looks like; anything else in the directory is not the sweep's to remove. */
const blobName = /^file-[0-9a-f]+$/;

export interface FileServiceOptions {
  readonly store: FileStore;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the blobs live, one per file, named by id (`<dataDir>/files`). */
  readonly directory: string;
  /** Largest upload accepted, in bytes. */
  readonly maxBytes: number;
  /** How often expired files are removed; one minute by default. */
  readonly sweepIntervalMs?: number;
}

/** What the writer of a new file's bytes says about it. */
export interface NewFile {
  /** Display name; pass it through `toDisplayFilename` if it came from a client. */
  readonly filename: string;
  readonly purpose: string;
  /** Seconds from creation until the file expires; by default never (batch files: 30 days). */
  readonly expiresAfterSeconds?: number | undefined;
}

/** An open file's metadata and the blob holding its bytes. */
export interface FileContent {
  readonly file: StoredFile;
  /**
   * The blob's path, for reading or copying now: a delete or expiry removes it (a stream already
   * open keeps reading). Never write to it.
   */
  readonly path: string;
}

/**
 * The Files API's behaviour, independent of HTTP: metadata in the `Store`, bytes as one blob per file
 * in `directory`, named by the file's id — never by the client's filename. A file whose `expires_at`
 * has passed is treated as deleted at once, and its blob and metadata are removed by a sweep that
 * runs at start-up and then periodically. Every call is scoped by project.
 *
 * @example
 * const file = await files.create(projectId, async (path) => {
 *   await copyFile(source, path);
 *   return { filename: 'report.pdf', purpose: 'user_data' };
 * });
 * const content = await files.openContent(projectId, file.id); // { file, path } | undefined
 */
export class FileService {
  /** Largest upload accepted, in bytes. */
  readonly maxBytes: number;
  readonly #options: FileServiceOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(options: FileServiceOptions) {
    this.#options = options;
    this.maxBytes = options.maxBytes;
  }

  /** Creates the blob directory, removes what a crash or an expiry left behind, and starts the sweep. */
  async start(): Promise<void> {
    // Owner-only, like the data directory: the blobs are the users' uploads.
    await mkdir(this.#options.directory, { recursive: true, mode: 0o700 });
    await this.#removeOrphans();
    await this.sweepExpired();
    this.#timer = setInterval(() => {
      this.sweepExpired().catch((error: unknown) => {
        this.#options.logger.error('file expiry sweep failed', { error: String(error) });
      });
    }, this.#options.sweepIntervalMs ?? 60_000);
    // The sweep must never be what keeps the process alive.
    this.#timer.unref();
  }

  /**
   * Creates a file: `writeContent` must put the bytes at the path it is given (atomically, for
   * example by renaming a finished temporary file) and say what the file is. The size is taken from
   * the blob itself. If anything fails, the blob is removed and nothing is recorded.
   */
  async create(projectId: string, writeContent: (path: string) => Promise<NewFile>): Promise<StoredFile> {
    const id = this.#options.ids.next('file');
    const path = this.#blobPath(id);
    try {
      const details = await writeContent(path);
      const { size } = await stat(path);
      const createdAt = unixSeconds(this.#options.clock);
      const expiresAfter =
        details.expiresAfterSeconds ?? (details.purpose === 'batch' ? batchExpirySeconds : undefined);
      const file: StoredFile = {
        id,
        projectId,
        filename: details.filename,
        purpose: details.purpose,
        bytes: size,
        createdAt,
        expiresAt: expiresAfter === undefined ? null : createdAt + expiresAfter,
      };
      await this.#options.store.createFile(file);
      return file;
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
  }

  /** The file, or undefined when it is unknown, another project's, or expired. */
  async get(projectId: string, id: string): Promise<StoredFile | undefined> {
    const file = await this.#options.store.getFile(projectId, id);
    if (!file || this.#isExpired(file)) return undefined;
    return file;
  }

  /** The file and the path of its bytes (for streaming or copying), or undefined as for `get`. */
  async openContent(projectId: string, id: string): Promise<FileContent | undefined> {
    const file = await this.get(projectId, id);
    return file ? { file, path: this.#blobPath(file.id) } : undefined;
  }

  /** One page of the project's files that have not expired, in upload order. */
  list(projectId: string, query: Omit<FileListQuery, 'now'>): Promise<Page<StoredFile>> {
    return this.#options.store.listFiles(projectId, { ...query, now: unixSeconds(this.#options.clock) });
  }

  /** Deletes the file and its bytes; false when it is unknown, another project's, or expired. */
  async delete(projectId: string, id: string): Promise<boolean> {
    if (!(await this.get(projectId, id))) return false;
    return this.#remove(projectId, id);
  }

  /** Removes every expired file's metadata and bytes now; resolves to how many were removed. */
  sweepExpired(): Promise<number> {
    // One sweep at a time: a slow one is joined, not doubled.
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** Stops the periodic sweep and waits for one under way. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  async #sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const expired = await this.#options.store.listExpiredFiles(
        unixSeconds(this.#options.clock),
        sweepBatch,
      );
      for (const file of expired) {
        if (await this.#remove(file.projectId, file.id)) removed += 1;
      }
      if (expired.length < sweepBatch) break;
    }
    if (removed > 0) this.#options.logger.info('expired files removed', { count: removed });
    return removed;
  }

  /** The metadata goes first, so a crash in between leaves an orphaned blob (removed at start-up), never a file without bytes. */
  async #remove(projectId: string, id: string): Promise<boolean> {
    if (!(await this.#options.store.deleteFile(projectId, id))) return false;
    await rm(this.#blobPath(id), { force: true });
    return true;
  }

  /** Partial uploads and blobs without metadata, left by a crash or a kill mid-upload or mid-delete. */
  async #removeOrphans(): Promise<void> {
    const names = await readdir(this.#options.directory);
    const partials = names.filter(isPartialFileName);
    const blobs = names.filter((name) => blobName.test(name));
    const recorded = await this.#options.store.findRecordedFileIds(blobs);
    const orphans = [...partials, ...blobs.filter((name) => !recorded.has(name))];
    await Promise.all(orphans.map((name) => rm(join(this.#options.directory, name), { force: true })));
    if (orphans.length > 0)
      this.#options.logger.info('orphaned file blobs removed', { count: orphans.length });
  }

  #isExpired(file: StoredFile): boolean {
    return file.expiresAt !== null && file.expiresAt <= unixSeconds(this.#options.clock);
  }

  /** Derived from the id alone: an id is `file-` and hex, so it cannot name anything outside the directory. */
  #blobPath(id: string): string {
    return join(this.#options.directory, id);
  }
}
