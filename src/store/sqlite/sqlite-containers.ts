import type { Database } from 'better-sqlite3';
import type { SqliteEgressLog } from './sqlite-egress-log.js';
import { cursorPage } from './item-pages.js';
import type { ContainerFilesTable, ContainersTable } from './schema.js';
import type {
  ContainerListQuery,
  ContainerStatus,
  ContainerStore,
  StoredContainer,
  StoredContainerFile,
} from '../container-store.js';
import type { StoredNetworkPolicy } from '../../network/egress-policy.js';
import type { Page, PageRequest } from '../page.js';
import { settle } from './settle.js';

type ContainerRow = Omit<ContainersTable, 'seq'>;
type ContainerFileRow = Omit<ContainerFilesTable, 'seq'>;

/** Containers and the files known in them, with statements prepared once. */
export class SqliteContainers {
  readonly #db: Database;
  readonly #insert;
  readonly #select;
  readonly #cursor;
  readonly #pages;
  readonly #update;
  readonly #setPolicy;
  readonly #delete;
  readonly #deleteFiles;
  readonly #byStatus;
  readonly #count;
  readonly #insertFile;
  readonly #selectFile;
  readonly #fileCursor;
  readonly #filePages;
  readonly #allFiles;
  readonly #deleteFile;

  readonly #egressLog: SqliteEgressLog;

  constructor(db: Database, egressLog: SqliteEgressLog) {
    this.#db = db;
    this.#egressLog = egressLog;
    this.#insert = db.prepare<ContainerRow>(
      `INSERT INTO containers (id, project_id, name, status, created_at, last_active_at, expires_after_minutes,
         memory_limit, network_policy_json, image, skills_json)
       VALUES (@id, @project_id, @name, @status, @created_at, @last_active_at, @expires_after_minutes,
         @memory_limit, @network_policy_json, @image, @skills_json)`,
    );
    this.#select = db.prepare<[string, string], ContainersTable>(
      'SELECT * FROM containers WHERE id = ? AND project_id = ?',
    );
    this.#cursor = db
      .prepare<[string, string], number>('SELECT seq FROM containers WHERE id = ? AND project_id = ?')
      .pluck();
    const page = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<{ project_id: string; name: string | null; from: number; limit: number }, ContainersTable>(
        `SELECT * FROM containers
         WHERE project_id = @project_id AND (@name IS NULL OR name = @name) AND seq ${comparison} @from
         ORDER BY seq ${order} LIMIT @limit`,
      );
    this.#pages = { asc: page('>', 'ASC'), desc: page('<', 'DESC') };
    this.#update = db.prepare<[string, number, string]>(
      'UPDATE containers SET status = ?, last_active_at = ? WHERE id = ?',
    );
    this.#setPolicy = db.prepare<[string, string, string]>(
      'UPDATE containers SET network_policy_json = ? WHERE id = ? AND project_id = ?',
    );
    this.#delete = db.prepare<[string, string]>('DELETE FROM containers WHERE id = ? AND project_id = ?');
    this.#deleteFiles = db.prepare<[string]>('DELETE FROM container_files WHERE container_id = ?');
    this.#byStatus = db.prepare<[string], ContainersTable>(
      'SELECT * FROM containers WHERE status = ? ORDER BY seq',
    );
    this.#count = db
      .prepare<[string, string], number>(
        'SELECT count(*) FROM containers WHERE project_id = ? AND status = ?',
      )
      .pluck();

    this.#insertFile = db.prepare<ContainerFileRow>(
      `INSERT INTO container_files (id, container_id, path, source, bytes, created_at)
       VALUES (@id, @container_id, @path, @source, @bytes, @created_at)
       ON CONFLICT (container_id, path) DO UPDATE SET bytes = excluded.bytes`,
    );
    this.#selectFile = db.prepare<[string, string], ContainerFilesTable>(
      'SELECT * FROM container_files WHERE container_id = ? AND id = ?',
    );
    this.#fileCursor = db
      .prepare<[string, string], number>('SELECT seq FROM container_files WHERE container_id = ? AND id = ?')
      .pluck();
    const filePage = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<[string, number, number], ContainerFilesTable>(
        `SELECT * FROM container_files WHERE container_id = ? AND seq ${comparison} ? ORDER BY seq ${order} LIMIT ?`,
      );
    this.#filePages = { asc: filePage('>', 'ASC'), desc: filePage('<', 'DESC') };
    this.#allFiles = db.prepare<[string], ContainerFilesTable>(
      'SELECT * FROM container_files WHERE container_id = ? ORDER BY seq',
    );
    this.#deleteFile = db.prepare<[string, string]>(
      'DELETE FROM container_files WHERE container_id = ? AND id = ?',
    );
  }

  create(container: StoredContainer): void {
    this.#insert.run({
      id: container.id,
      project_id: container.projectId,
      name: container.name,
      status: container.status,
      created_at: container.createdAt,
      last_active_at: container.lastActiveAt,
      expires_after_minutes: container.expiresAfterMinutes,
      memory_limit: container.memoryLimit,
      network_policy_json: JSON.stringify(container.networkPolicy),
      image: container.image,
      skills_json: JSON.stringify(container.skills),
    });
  }

  get(projectId: string, id: string): StoredContainer | undefined {
    const row = this.#select.get(id, projectId);
    return row ? fromRow(row) : undefined;
  }

  list(projectId: string, query: ContainerListQuery): Page<StoredContainer> {
    return cursorPage(
      query,
      (after) => this.#cursor.get(after, projectId),
      (from, limit) =>
        this.#pages[query.order].all({ project_id: projectId, name: query.name ?? null, from, limit }),
      fromRow,
    );
  }

  update(id: string, status: ContainerStatus, lastActiveAt: number): void {
    this.#update.run(status, lastActiveAt, id);
  }

  setNetworkPolicy(projectId: string, id: string, policy: StoredNetworkPolicy): boolean {
    return this.#setPolicy.run(JSON.stringify(policy), id, projectId).changes > 0;
  }

  delete(projectId: string, id: string): boolean {
    return this.#db.transaction(() => {
      const deleted = this.#delete.run(id, projectId).changes > 0;
      if (deleted) {
        this.#deleteFiles.run(id);
        this.#egressLog.deleteForContainer(id);
      }
      return deleted;
    })();
  }

  listByStatus(status: ContainerStatus): readonly StoredContainer[] {
    return this.#byStatus.all(status).map(fromRow);
  }

  count(projectId: string, status: ContainerStatus): number {
    return this.#count.get(projectId, status) ?? 0;
  }

  putFile(file: StoredContainerFile): void {
    this.#insertFile.run({
      id: file.id,
      container_id: file.containerId,
      path: file.path,
      source: file.source,
      bytes: file.bytes,
      created_at: file.createdAt,
    });
  }

  getFile(containerId: string, id: string): StoredContainerFile | undefined {
    const row = this.#selectFile.get(containerId, id);
    return row ? fileFromRow(row) : undefined;
  }

  listFiles(containerId: string, page: PageRequest): Page<StoredContainerFile> {
    return cursorPage(
      page,
      (after) => this.#fileCursor.get(containerId, after),
      (from, limit) => this.#filePages[page.order].all(containerId, from, limit),
      fileFromRow,
    );
  }

  allFiles(containerId: string): readonly StoredContainerFile[] {
    return this.#allFiles.all(containerId).map(fileFromRow);
  }

  deleteFile(containerId: string, id: string): boolean {
    return this.#deleteFile.run(containerId, id).changes > 0;
  }
}

function fromRow(row: ContainersTable): StoredContainer {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    status: row.status as ContainerStatus,
    createdAt: row.created_at,
    lastActiveAt: row.last_active_at,
    expiresAfterMinutes: row.expires_after_minutes,
    memoryLimit: row.memory_limit,
    networkPolicy: JSON.parse(row.network_policy_json) as StoredContainer['networkPolicy'],
    image: row.image,
    skills: JSON.parse(row.skills_json) as StoredContainer['skills'],
  };
}

function fileFromRow(row: ContainerFilesTable): StoredContainerFile {
  return {
    id: row.id,
    containerId: row.container_id,
    path: row.path,
    source: row.source as StoredContainerFile['source'],
    bytes: row.bytes,
    createdAt: row.created_at,
  };
}

/** The `ContainerStore` over SQLite. */
export function sqliteContainerStore(containers: SqliteContainers): ContainerStore {
  return {
    createContainer: (container) => settle(() => containers.create(container)),
    getContainer: (projectId, id) => settle(() => containers.get(projectId, id)),
    listContainers: (projectId, query) => settle(() => containers.list(projectId, query)),
    updateContainer: (id, status, lastActiveAt) => settle(() => containers.update(id, status, lastActiveAt)),
    setContainerNetworkPolicy: (projectId, id, policy) =>
      settle(() => containers.setNetworkPolicy(projectId, id, policy)),
    deleteContainer: (projectId, id) => settle(() => containers.delete(projectId, id)),
    listContainersByStatus: (status) => settle(() => containers.listByStatus(status)),
    countContainers: (projectId, status) => settle(() => containers.count(projectId, status)),
    putContainerFile: (file) => settle(() => containers.putFile(file)),
    getContainerFile: (containerId, id) => settle(() => containers.getFile(containerId, id)),
    listContainerFiles: (containerId, page) => settle(() => containers.listFiles(containerId, page)),
    allContainerFiles: (containerId) => settle(() => containers.allFiles(containerId)),
    deleteContainerFile: (containerId, id) => settle(() => containers.deleteFile(containerId, id)),
  };
}
