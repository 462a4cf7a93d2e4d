import type { Database } from 'better-sqlite3';
import { parseJsonObject, toStoredItem, type ItemRow } from './json-columns.js';
import { cursorPage, ItemPages } from './item-pages.js';
import type { ResponsesTable } from './schema.js';
import type { Page, PageRequest } from '../page.js';
import type {
  ResponseFilter,
  ResponseStatus,
  ResponseStore,
  ResponseWrite,
  StoredEvent,
  StoredResponse,
} from '../response-store.js';
import type { StoredItem } from '../stored-item.js';
import { settle } from './settle.js';
import type { SqliteConversations } from './sqlite-conversations.js';
import type { SqliteToolCalls } from './sqlite-tool-calls.js';

const INPUT = 0;
const OUTPUT = 1;

type PendingWrite = { write: ResponseWrite; resolve: () => void; reject: (error: Error) => void };

/**
 * Responses, their items and their recorded events. Statements are prepared once: preparing costs more
 * than running these small statements, and a gateway runs them for every response.
 */
export class SqliteResponses {
  readonly #db: Database;
  readonly #conversations: SqliteConversations;
  readonly #toolCalls: SqliteToolCalls;
  readonly #exists;
  readonly #insert;
  readonly #update;
  readonly #insertItem;
  readonly #deleteOutputItems;
  readonly #insertEvents;
  readonly #select;
  readonly #delete;
  readonly #deleteItems;
  readonly #deleteEvents;
  readonly #chain;
  readonly #inputPages;
  readonly #events;
  readonly #unfinished;
  readonly #writeOne;
  readonly #writeBatch;
  /** Writes waiting for the next group commit, with the callbacks that settle their promises. */
  #pending: PendingWrite[] = [];

  constructor(db: Database, conversations: SqliteConversations, toolCalls: SqliteToolCalls) {
    this.#db = db;
    this.#conversations = conversations;
    this.#toolCalls = toolCalls;
    this.#exists = db.prepare<[string]>('SELECT 1 FROM responses WHERE id = ?').pluck();
    this.#insert = db.prepare<ResponsesTable>(
      `INSERT INTO responses (id, project_id, status, created_at, previous_response_id, conversation_id,
         background, events_recorded, body_json, request_json)
       VALUES (@id, @project_id, @status, @created_at, @previous_response_id, @conversation_id,
         @background, @events_recorded, @body_json, @request_json)`,
    );
    this.#update = db.prepare<ResponsesTable>(
      `UPDATE responses SET status = @status, previous_response_id = @previous_response_id,
         conversation_id = @conversation_id, background = @background, events_recorded = @events_recorded,
         body_json = @body_json, request_json = @request_json
       WHERE id = @id AND project_id = @project_id`,
    );
    this.#insertItem = db.prepare<[string, number, number, string, string]>(
      'INSERT INTO response_items (response_id, kind, position, item_id, item_json) VALUES (?, ?, ?, ?, ?)',
    );
    this.#deleteOutputItems = db.prepare<[string]>(
      `DELETE FROM response_items WHERE response_id = ? AND kind = ${OUTPUT}`,
    );
    this.#insertEvents = db.prepare<[string, number, number, string]>(
      `INSERT INTO response_events (response_id, first_sequence_number, last_sequence_number, events_json)
       VALUES (?, ?, ?, ?)`,
    );
    this.#select = db.prepare<[string, string], ResponsesTable>(
      'SELECT * FROM responses WHERE id = ? AND project_id = ?',
    );
    this.#delete = db.prepare<[string, string]>('DELETE FROM responses WHERE id = ? AND project_id = ?');
    this.#deleteItems = db.prepare<[string]>('DELETE FROM response_items WHERE response_id = ?');
    this.#deleteEvents = db.prepare<[string]>('DELETE FROM response_events WHERE response_id = ?');
    // One recursive query walks the `previous_response_id` chain and returns every item in context
    // order, so a turn costs one statement however deep its chain is.
    this.#chain = db.prepare<{ id: string; project: string }, ItemRow>(
      `WITH RECURSIVE chain(id, depth) AS (
         SELECT id, 0 FROM responses WHERE id = @id AND project_id = @project
         UNION ALL
         SELECT r.previous_response_id, chain.depth + 1
           FROM chain JOIN responses r ON r.id = chain.id
          WHERE r.previous_response_id IS NOT NULL AND r.project_id = @project
       )
       SELECT i.item_id, i.item_json
         FROM chain JOIN response_items i ON i.response_id = chain.id
        ORDER BY chain.depth DESC, i.kind, i.position`,
    );
    this.#inputPages = new ItemPages(db, `response_items WHERE response_id = ? AND kind = ${INPUT}`);
    this.#events = db.prepare<[string, number], { events_json: string }>(
      `SELECT events_json FROM response_events
        WHERE response_id = ? AND last_sequence_number > ? ORDER BY first_sequence_number`,
    );
    this.#unfinished = db.prepare<[], ResponsesTable>(
      "SELECT * FROM responses WHERE status IN ('queued', 'in_progress') ORDER BY created_at",
    );
    this.#writeOne = db.transaction((write: ResponseWrite) => this.#writeInTransaction(write));
    // Inside the batch's transaction each write runs in a savepoint of its own (better-sqlite3 nests
    // transactions that way), so one failing write is rolled back alone and reported to its caller.
    this.#writeBatch = db.transaction((batch: readonly PendingWrite[]) =>
      batch.map(({ write }) => {
        try {
          this.#writeOne(write);
          return undefined;
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  }

  /**
   * Group commit: the writes of every response that finishes in the same turn of the event loop share
   * one transaction, so a busy server pays for one commit per turn instead of one per response. Each
   * promise settles once its write is committed (or has failed).
   */
  write(write: ResponseWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ write, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    let results: (Error | undefined)[];
    try {
      results = this.#writeBatch(batch);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      results = batch.map(() => failure);
    }
    batch.forEach(({ resolve, reject }, index) => {
      const error = results[index];
      if (error) reject(error);
      else resolve();
    });
  }

  #writeInTransaction(write: ResponseWrite): void {
    const { response } = write;
    const row = toRow(response);
    if (this.#exists.get(response.id) !== undefined) {
      this.#update.run(row);
    } else {
      this.#insert.run(row);
      this.#insertItems(response.id, INPUT, write.inputItems ?? []);
    }
    if (write.outputItems) {
      this.#deleteOutputItems.run(response.id);
      this.#insertItems(response.id, OUTPUT, write.outputItems);
    }
    const events = write.events ?? [];
    const first = events[0];
    const last = events.at(-1);
    if (first && last) {
      const json = JSON.stringify(events.map((event) => event.event));
      this.#insertEvents.run(response.id, first.sequenceNumber, last.sequenceNumber, json);
    }
    if (write.conversationItems) {
      this.#conversations.appendInTransaction(
        write.conversationItems.conversationId,
        write.conversationItems.items,
      );
    }
  }

  #insertItems(responseId: string, kind: number, items: readonly StoredItem[]): void {
    items.forEach((item, position) => {
      this.#insertItem.run(responseId, kind, position, item.id, JSON.stringify(item.item));
    });
  }

  get(projectId: string, id: string): StoredResponse | undefined {
    const row = this.#select.get(id, projectId);
    return row ? fromRow(row) : undefined;
  }

  delete(projectId: string, id: string): boolean {
    return this.#db.transaction(() => {
      if (this.#delete.run(id, projectId).changes === 0) return false;
      this.#deleteItems.run(id);
      this.#deleteEvents.run(id);
      this.#toolCalls.deleteForResponse(id);
      return true;
    })();
  }

  loadChain(projectId: string, id: string): readonly StoredItem[] | undefined {
    if (!this.#select.get(id, projectId)) return undefined;
    return this.#chain.all({ id, project: projectId }).map(toStoredItem);
  }

  listInputItems(projectId: string, id: string, page: PageRequest): Page<StoredItem> | undefined {
    if (!this.#select.get(id, projectId)) return undefined;
    return this.#inputPages.list(id, page);
  }

  listEvents(responseId: string, startingAfter: number): readonly StoredEvent[] {
    const events: StoredEvent[] = [];
    for (const row of this.#events.all(responseId, startingAfter)) {
      for (const event of JSON.parse(row.events_json) as { sequence_number: number }[]) {
        if (event.sequence_number > startingAfter)
          events.push({ sequenceNumber: event.sequence_number, event });
      }
    }
    return events;
  }

  listUnfinished(): readonly StoredResponse[] {
    return this.#unfinished.all().map(fromRow);
  }

  /**
   * Pages by rowid, which is creation order: a response is inserted once and then updated in place.
   * Prepared per call, unlike the statements above: the filters vary, and the dashboard is no hot path.
   */
  list(projectId: string, page: PageRequest, filter: ResponseFilter): Page<StoredResponse> {
    const conditions = ['project_id = @project'];
    const parameters: Record<string, string | number> = { project: projectId };
    if (filter.status !== undefined) {
      conditions.push('status = @status');
      parameters['status'] = filter.status;
    }
    if (filter.model !== undefined) {
      conditions.push("json_extract(body_json, '$.model') = @model");
      parameters['model'] = filter.model;
    }
    if (filter.search !== undefined && filter.search !== '') {
      // LIKE with its wildcards escaped: the search is text, not a pattern.
      conditions.push(
        `(id LIKE @search ESCAPE '\\' OR body_json LIKE @search ESCAPE '\\' OR EXISTS (
           SELECT 1 FROM response_items i
            WHERE i.response_id = responses.id AND i.kind = ${INPUT} AND i.item_json LIKE @search ESCAPE '\\'))`,
      );
      parameters['search'] = `%${filter.search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    }
    const where = conditions.join(' AND ');
    const [comparison, order] = page.order === 'asc' ? ['>', 'ASC'] : ['<', 'DESC'];
    return cursorPage(
      page,
      (after) =>
        this.#db
          .prepare<[string, string], number>('SELECT rowid FROM responses WHERE id = ? AND project_id = ?')
          .pluck()
          .get(after, projectId),
      (from, limit) =>
        this.#db
          .prepare<Record<string, string | number>, ResponsesTable>(
            `SELECT * FROM responses WHERE ${where} AND rowid ${comparison} @from ORDER BY rowid ${order} LIMIT @limit`,
          )
          .all({ ...parameters, from, limit }),
      fromRow,
    );
  }
}

function toRow(response: StoredResponse): ResponsesTable {
  return {
    id: response.id,
    project_id: response.projectId,
    status: response.status,
    created_at: response.createdAt,
    previous_response_id: response.previousResponseId,
    conversation_id: response.conversationId,
    background: response.background ? 1 : 0,
    events_recorded: response.eventsRecorded ? 1 : 0,
    body_json: JSON.stringify(response.body),
    request_json: response.request === null ? null : JSON.stringify(response.request),
  };
}

function fromRow(row: ResponsesTable): StoredResponse {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status as ResponseStatus,
    createdAt: row.created_at,
    previousResponseId: row.previous_response_id,
    conversationId: row.conversation_id,
    background: row.background === 1,
    eventsRecorded: row.events_recorded === 1,
    body: parseJsonObject(row.body_json),
    request: row.request_json === null ? null : parseJsonObject(row.request_json),
  };
}

/** The `ResponseStore` over SQLite. */
export function sqliteResponseStore(responses: SqliteResponses): ResponseStore {
  return {
    writeResponse: (write) => responses.write(write),
    getResponse: (projectId, id) => settle(() => responses.get(projectId, id)),
    deleteResponse: (projectId, id) => settle(() => responses.delete(projectId, id)),
    loadChainItems: (projectId, id) => settle(() => responses.loadChain(projectId, id)),
    listInputItems: (projectId, id, page) => settle(() => responses.listInputItems(projectId, id, page)),
    listResponseEvents: (responseId, startingAfter) =>
      settle(() => responses.listEvents(responseId, startingAfter)),
    listUnfinishedResponses: () => settle(() => responses.listUnfinished()),
    listResponses: (projectId, page, filter) => settle(() => responses.list(projectId, page, filter)),
  };
}
