import type { Database } from 'better-sqlite3';
import type { EgressLogEntry, EgressLogStore } from '../egress-log-store.js';
import type { Page, PageRequest } from '../page.js';
import { cursorPage } from './item-pages.js';
import type { EgressLogTable } from './schema.js';
import { settle } from './settle.js';

type EgressRow = Omit<EgressLogTable, 'seq'>;
type PageParameters = {
  project_id: string;
  container_id: string;
  call_id: string | null;
  from: number;
  limit: number;
};

/** The egress log over SQLite, with statements prepared once. */
export class SqliteEgressLog {
  readonly #insert;
  readonly #cursor;
  readonly #pages;
  readonly #deleteForContainer;

  constructor(db: Database) {
    this.#insert = db.prepare<EgressRow>(
      `INSERT INTO egress_log (id, project_id, container_id, response_id, call_id, at_ms, method, host,
         port, allowed, reason, address, status, bytes_out, bytes_in, intercepted)
       VALUES (@id, @project_id, @container_id, @response_id, @call_id, @at_ms, @method, @host, @port,
         @allowed, @reason, @address, @status, @bytes_out, @bytes_in, @intercepted)`,
    );
    this.#cursor = db
      .prepare<[string, string, string], number>(
        'SELECT seq FROM egress_log WHERE id = ? AND container_id = ? AND project_id = ?',
      )
      .pluck();
    // Rows arrive as connections end, the list is in the order they were asked for: a page starts
    // after the cursor row's (at_ms, seq), or at the beginning when `from` is no row's seq.
    const page = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<PageParameters, EgressLogTable>(
        `WITH cursor AS (SELECT at_ms, seq FROM egress_log WHERE seq = @from)
         SELECT e.* FROM egress_log e
          WHERE e.container_id = @container_id AND e.project_id = @project_id
            AND (@call_id IS NULL OR e.call_id = @call_id)
            AND (NOT EXISTS (SELECT 1 FROM cursor) OR (e.at_ms, e.seq) ${comparison} (SELECT * FROM cursor))
          ORDER BY e.at_ms ${order}, e.seq ${order}
          LIMIT @limit`,
      );
    this.#pages = { asc: page('>', 'ASC'), desc: page('<', 'DESC') };
    this.#deleteForContainer = db.prepare<[string]>('DELETE FROM egress_log WHERE container_id = ?');
  }

  record(entry: EgressLogEntry): void {
    this.#insert.run({
      id: entry.id,
      project_id: entry.projectId,
      container_id: entry.containerId,
      response_id: entry.responseId,
      call_id: entry.callId,
      at_ms: entry.at,
      method: entry.method,
      host: entry.host,
      port: entry.port,
      allowed: entry.allowed ? 1 : 0,
      reason: entry.reason,
      address: entry.address,
      status: entry.status,
      bytes_out: entry.bytesOut,
      bytes_in: entry.bytesIn,
      intercepted: entry.intercepted ? 1 : 0,
    });
  }

  list(
    projectId: string,
    containerId: string,
    page: PageRequest & { readonly callId?: string | undefined },
  ): Page<EgressLogEntry> {
    return cursorPage(
      page,
      (after) => this.#cursor.get(after, containerId, projectId),
      (from, limit) =>
        this.#pages[page.order].all({
          project_id: projectId,
          container_id: containerId,
          call_id: page.callId ?? null,
          from,
          limit,
        }),
      fromRow,
    );
  }

  /** Part of a container's delete: runs inside the caller's transaction. */
  deleteForContainer(containerId: string): void {
    this.#deleteForContainer.run(containerId);
  }
}

function fromRow(row: EgressLogTable): EgressLogEntry {
  return {
    id: row.id,
    projectId: row.project_id,
    containerId: row.container_id,
    responseId: row.response_id,
    callId: row.call_id,
    at: row.at_ms,
    method: row.method,
    host: row.host,
    port: row.port,
    allowed: row.allowed === 1,
    reason: row.reason,
    address: row.address,
    status: row.status,
    bytesOut: row.bytes_out,
    bytesIn: row.bytes_in,
    intercepted: row.intercepted === 1,
  };
}

/** The `EgressLogStore` over SQLite. */
export function sqliteEgressLogStore(log: SqliteEgressLog): EgressLogStore {
  return {
    recordEgress: (entry) => settle(() => log.record(entry)),
    listEgress: (projectId, containerId, page) => settle(() => log.list(projectId, containerId, page)),
  };
}
