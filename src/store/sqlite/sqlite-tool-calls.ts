import type { Database } from 'better-sqlite3';
import { cursorPage } from './item-pages.js';
import type { ToolCallsTable } from './schema.js';
import type { Page, PageRequest } from '../page.js';
import type { ToolCallRecord, ToolCallStore } from '../tool-call-store.js';
import { settle } from './settle.js';

type ToolCallRow = Omit<ToolCallsTable, 'seq'>;
type PageParameters = { project_id: string; response_id: string; from: number; limit: number };

/** The tool-call log: one row per command a hosted shell call ran, with statements prepared once. */
export class SqliteToolCalls {
  readonly #insert;
  readonly #cursor;
  readonly #pages;
  readonly #deleteForResponse;
  readonly #runningDuring;

  constructor(db: Database) {
    this.#insert = db.prepare<ToolCallRow>(
      `INSERT INTO tool_calls (id, project_id, response_id, call_id, item_id, command_index, command,
         container_id, session, started_at_ms, ended_at_ms, outcome, exit_code, stdout_bytes, stderr_bytes)
       VALUES (@id, @project_id, @response_id, @call_id, @item_id, @command_index, @command,
         @container_id, @session, @started_at_ms, @ended_at_ms, @outcome, @exit_code, @stdout_bytes,
         @stderr_bytes)`,
    );
    this.#cursor = db
      .prepare<[string, string, string], number>(
        'SELECT seq FROM tool_calls WHERE id = ? AND response_id = ? AND project_id = ?',
      )
      .pluck();
    // The log is ordered by (start, command index, seq), not by insertion (rows arrive as commands
    // end), so a page starts after the cursor row's key. `from` is that row's seq, or cursorPage's
    // start value, which is no row's seq and so means "from the beginning".
    const page = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<PageParameters, ToolCallsTable>(
        `WITH cursor AS (SELECT started_at_ms, command_index, seq FROM tool_calls WHERE seq = @from)
         SELECT t.* FROM tool_calls t
          WHERE t.response_id = @response_id AND t.project_id = @project_id
            AND (NOT EXISTS (SELECT 1 FROM cursor)
                 OR (t.started_at_ms, t.command_index, t.seq) ${comparison} (SELECT * FROM cursor))
          ORDER BY t.started_at_ms ${order}, t.command_index ${order}, t.seq ${order}
          LIMIT @limit`,
      );
    this.#pages = { asc: page('>', 'ASC'), desc: page('<', 'DESC') };
    this.#deleteForResponse = db.prepare<[string]>('DELETE FROM tool_calls WHERE response_id = ?');
    this.#runningDuring = db.prepare<
      { project_id: string; container_id: string; from: number; to: number },
      ToolCallsTable
    >(
      `SELECT * FROM tool_calls
        WHERE container_id = @container_id AND project_id = @project_id
          AND started_at_ms <= @to AND ended_at_ms >= @from
        ORDER BY started_at_ms <= @from DESC,
                 CASE WHEN started_at_ms <= @from THEN started_at_ms END DESC,
                 CASE WHEN started_at_ms > @from THEN started_at_ms END ASC,
                 seq DESC
        LIMIT 1`,
    );
  }

  runningDuring(
    projectId: string,
    containerId: string,
    from: number,
    to: number,
  ): ToolCallRecord | undefined {
    const row = this.#runningDuring.get({ project_id: projectId, container_id: containerId, from, to });
    return row && fromRow(row);
  }

  record(record: ToolCallRecord): void {
    this.#insert.run({
      id: record.id,
      project_id: record.projectId,
      response_id: record.responseId,
      call_id: record.callId,
      item_id: record.itemId,
      command_index: record.commandIndex,
      command: record.command,
      container_id: record.containerId,
      session: record.session,
      started_at_ms: record.startedAt,
      ended_at_ms: record.endedAt,
      outcome: record.outcome.type,
      exit_code: record.outcome.type === 'exit' ? record.outcome.exitCode : null,
      stdout_bytes: record.stdoutBytes,
      stderr_bytes: record.stderrBytes,
    });
  }

  list(projectId: string, responseId: string, page: PageRequest): Page<ToolCallRecord> {
    return cursorPage(
      page,
      (after) => this.#cursor.get(after, responseId, projectId),
      (from, limit) =>
        this.#pages[page.order].all({ project_id: projectId, response_id: responseId, from, limit }),
      fromRow,
    );
  }

  /** Part of a response's delete: runs inside the caller's transaction. */
  deleteForResponse(responseId: string): void {
    this.#deleteForResponse.run(responseId);
  }
}

function fromRow(row: ToolCallsTable): ToolCallRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    responseId: row.response_id,
    callId: row.call_id,
    itemId: row.item_id,
    commandIndex: row.command_index,
    command: row.command,
    containerId: row.container_id,
    session: row.session,
    startedAt: row.started_at_ms,
    endedAt: row.ended_at_ms,
    // The table's check constraint keeps `exit_code` set exactly when the outcome is `exit`.
    outcome:
      row.outcome === 'timeout' ? { type: 'timeout' } : { type: 'exit', exitCode: row.exit_code as number },
    stdoutBytes: row.stdout_bytes,
    stderrBytes: row.stderr_bytes,
  };
}

/** The `ToolCallStore` over SQLite. */
export function sqliteToolCallStore(toolCalls: SqliteToolCalls): ToolCallStore {
  return {
    recordToolCall: (record) => settle(() => toolCalls.record(record)),
    listToolCalls: (projectId, responseId, page) => settle(() => toolCalls.list(projectId, responseId, page)),
    findToolCallDuring: (projectId, containerId, fromMs, toMs) =>
      settle(() => toolCalls.runningDuring(projectId, containerId, fromMs, toMs)),
  };
}
