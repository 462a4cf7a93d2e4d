import type { Database } from 'better-sqlite3';
import { cursorPage } from './item-pages.js';
import type { FilesTable } from './schema.js';
import type { FileListQuery, FileStore, StoredFile } from '../file-store.js';
import type { Page } from '../page.js';
import { settle } from './settle.js';

type FileRow = Omit<FilesTable, 'seq'>;

interface PageParameters {
  readonly project_id: string;
  readonly purpose: string | null;
  readonly now: number;
  readonly from: number;
  readonly limit: number;
}

/**
 * Uploaded files' metadata, with statements prepared once. Each file's bytes are a blob on disk
 * named by its id (see `files/file-service.ts`); this table only says who owns it and what it is.
 */
export class SqliteFiles {
  readonly #insert;
  readonly #select;
  readonly #cursor;
  readonly #pages;
  readonly #delete;
  readonly #expired;
  readonly #exists;

  constructor(db: Database) {
    this.#insert = db.prepare<FileRow>(
      `INSERT INTO files (id, project_id, filename, purpose, bytes, created_at, expires_at)
       VALUES (@id, @project_id, @filename, @purpose, @bytes, @created_at, @expires_at)`,
    );
    this.#select = db.prepare<[string, string], FilesTable>(
      'SELECT * FROM files WHERE id = ? AND project_id = ?',
    );
    this.#cursor = db
      .prepare<[string, string], number>('SELECT seq FROM files WHERE id = ? AND project_id = ?')
      .pluck();
    const page = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<PageParameters, FilesTable>(
        `SELECT * FROM files
         WHERE project_id = @project_id AND (@purpose IS NULL OR purpose = @purpose)
           AND (expires_at IS NULL OR expires_at > @now) AND seq ${comparison} @from
         ORDER BY seq ${order} LIMIT @limit`,
      );
    this.#pages = { asc: page('>', 'ASC'), desc: page('<', 'DESC') };
    this.#delete = db.prepare<[string, string]>('DELETE FROM files WHERE id = ? AND project_id = ?');
    this.#expired = db.prepare<[number, number], FilesTable>(
      'SELECT * FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?',
    );
    this.#exists = db.prepare<[string], number>('SELECT 1 FROM files WHERE id = ?').pluck();
  }

  create(file: StoredFile): void {
    this.#insert.run({
      id: file.id,
      project_id: file.projectId,
      filename: file.filename,
      purpose: file.purpose,
      bytes: file.bytes,
      created_at: file.createdAt,
      expires_at: file.expiresAt,
    });
  }

  get(projectId: string, id: string): StoredFile | undefined {
    const row = this.#select.get(id, projectId);
    return row ? fromRow(row) : undefined;
  }

  list(projectId: string, query: FileListQuery): Page<StoredFile> {
    return cursorPage(
      query,
      (after) => this.#cursor.get(after, projectId),
      (from, limit) =>
        this.#pages[query.order].all({
          project_id: projectId,
          purpose: query.purpose ?? null,
          now: query.now,
          from,
          limit,
        }),
      fromRow,
    );
  }

  delete(projectId: string, id: string): boolean {
    return this.#delete.run(id, projectId).changes > 0;
  }

  listExpired(now: number, limit: number): readonly StoredFile[] {
    return this.#expired.all(now, limit).map(fromRow);
  }

  findRecorded(ids: readonly string[]): ReadonlySet<string> {
    return new Set(ids.filter((id) => this.#exists.get(id) !== undefined));
  }
}

function fromRow(row: FilesTable): StoredFile {
  return {
    id: row.id,
    projectId: row.project_id,
    filename: row.filename,
    purpose: row.purpose,
    bytes: row.bytes,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** The `FileStore` over SQLite. */
export function sqliteFileStore(files: SqliteFiles): FileStore {
  return {
    createFile: (file) => settle(() => files.create(file)),
    getFile: (projectId, id) => settle(() => files.get(projectId, id)),
    listFiles: (projectId, query) => settle(() => files.list(projectId, query)),
    deleteFile: (projectId, id) => settle(() => files.delete(projectId, id)),
    listExpiredFiles: (now, limit) => settle(() => files.listExpired(now, limit)),
    findRecordedFileIds: (ids) => settle(() => files.findRecorded(ids)),
  };
}
