import type { Page, PageRequest } from './page.js';

/**
 * Uploaded files' metadata (their bytes live in the blob directory, not here). Every read and write
 * but the sweeps' is scoped by `projectId`: another project's file is indistinguishable from none.
 */
export interface FileStore {
  /** Records an uploaded file's metadata. */
  createFile(file: StoredFile): Promise<void>;
  /** The file's metadata, expired or not, or undefined (unknown id, or another project's). */
  getFile(projectId: string, id: string): Promise<StoredFile | undefined>;
  /** One page of a project's files not expired at `query.now`, in upload order, optionally of one purpose. */
  listFiles(projectId: string, query: FileListQuery): Promise<Page<StoredFile>>;
  /** Deletes a file's metadata; false when there was nothing to delete. */
  deleteFile(projectId: string, id: string): Promise<boolean>;
  /** Files of every project whose `expiresAt` is at or before `now`, oldest expiry first (for the sweep). */
  listExpiredFiles(now: number, limit: number): Promise<readonly StoredFile[]>;
  /** Which of `ids` have metadata, in any project (for the start-up sweep of orphaned blobs). */
  findRecordedFileIds(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

/** An uploaded file's metadata, as the Files API serves it. */
export interface StoredFile {
  /** `file-…`; also the name of its blob, so the client's filename never reaches a filesystem path. */
  readonly id: string;
  readonly projectId: string;
  /** The client's filename, reduced to a safe basename; for display only. */
  readonly filename: string;
  /** OpenAI's `purpose` (`user_data`, `assistants`, …). */
  readonly purpose: string;
  /** Size of the blob. */
  readonly bytes: number;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds after which the file is gone, or null to keep it until deleted. */
  readonly expiresAt: number | null;
}

export interface FileListQuery extends PageRequest {
  /** Only files of this purpose. */
  readonly purpose?: string | undefined;
  /** Unix seconds: files expired at this time are left out. */
  readonly now: number;
}
