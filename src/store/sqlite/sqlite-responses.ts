import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, ResponsesTable } from './schema.js';
import { parseJsonObject, toStoredItem } from './json-columns.js';
import type {
  Page,
  PageRequest,
  ResponseStatus,
  ResponseWrite,
  StoredEvent,
  StoredItem,
  StoredResponse,
} from '../store.js';
import { appendConversationItemsIn } from './sqlite-conversations.js';

const INPUT = 0;
const OUTPUT = 1;

export async function writeResponse(db: Kysely<Database>, write: ResponseWrite): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { response } = write;
    const row = toRow(response);
    const existing = await trx
      .selectFrom('responses')
      .select('id')
      .where('id', '=', response.id)
      .executeTakeFirst();
    if (existing) {
      await trx.updateTable('responses').set(row).where('id', '=', response.id).execute();
    } else {
      await trx.insertInto('responses').values(row).execute();
      await insertItems(trx, response.id, INPUT, write.inputItems ?? []);
    }
    if (write.outputItems) {
      await trx
        .deleteFrom('response_items')
        .where('response_id', '=', response.id)
        .where('kind', '=', OUTPUT)
        .execute();
      await insertItems(trx, response.id, OUTPUT, write.outputItems);
    }
    if (write.events && write.events.length > 0) {
      await trx
        .insertInto('response_events')
        .values(
          write.events.map((event) => ({
            response_id: response.id,
            sequence_number: event.sequenceNumber,
            event_json: JSON.stringify(event.event),
          })),
        )
        .execute();
    }
    if (write.conversationItems) {
      await appendConversationItemsIn(
        trx,
        write.conversationItems.conversationId,
        write.conversationItems.items,
      );
    }
  });
}

async function insertItems(
  trx: Transaction<Database>,
  responseId: string,
  kind: number,
  items: readonly StoredItem[],
): Promise<void> {
  if (items.length === 0) return;
  await trx
    .insertInto('response_items')
    .values(
      items.map((item, position) => ({
        response_id: responseId,
        kind,
        position,
        item_id: item.id,
        item_json: JSON.stringify(item.item),
      })),
    )
    .execute();
}

export async function getResponse(
  db: Kysely<Database>,
  projectId: string,
  id: string,
): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom('responses')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function deleteResponse(db: Kysely<Database>, projectId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('responses')
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (deleted.numDeletedRows === 0n) return false;
    await trx.deleteFrom('response_items').where('response_id', '=', id).execute();
    await trx.deleteFrom('response_events').where('response_id', '=', id).execute();
    return true;
  });
}

/**
 * One recursive query walks the `previous_response_id` chain and returns every item in context order,
 * so a turn costs one round trip to the database however deep its chain is.
 */
export async function loadChainItems(
  db: Kysely<Database>,
  projectId: string,
  id: string,
): Promise<readonly StoredItem[] | undefined> {
  const head = await getResponse(db, projectId, id);
  if (!head) return undefined;
  const result = await sql<{ item_id: string; item_json: string }>`
    WITH RECURSIVE chain(id, depth) AS (
      SELECT id, 0 FROM responses WHERE id = ${id} AND project_id = ${projectId}
      UNION ALL
      SELECT r.previous_response_id, chain.depth + 1
        FROM chain JOIN responses r ON r.id = chain.id
       WHERE r.previous_response_id IS NOT NULL AND r.project_id = ${projectId}
    )
    SELECT i.item_id, i.item_json
      FROM chain JOIN response_items i ON i.response_id = chain.id
     ORDER BY chain.depth DESC, i.kind, i.position`.execute(db);
  return result.rows.map(toStoredItem);
}

export async function listInputItems(
  db: Kysely<Database>,
  projectId: string,
  id: string,
  page: PageRequest,
): Promise<Page<StoredItem> | undefined> {
  const head = await getResponse(db, projectId, id);
  if (!head) return undefined;
  let query = db
    .selectFrom('response_items')
    .select(['item_id', 'item_json', 'position'])
    .where('response_id', '=', id)
    .where('kind', '=', INPUT);
  if (page.after !== undefined) {
    const cursor = await db
      .selectFrom('response_items')
      .select('position')
      .where('response_id', '=', id)
      .where('kind', '=', INPUT)
      .where('item_id', '=', page.after)
      .executeTakeFirst();
    // An unknown cursor yields an empty page, as a cursor past the end would.
    if (!cursor) return { data: [], hasMore: false };
    query = query.where('position', page.order === 'asc' ? '>' : '<', cursor.position);
  }
  const rows = await query
    .orderBy('position', page.order)
    .limit(page.limit + 1)
    .execute();
  return { data: rows.slice(0, page.limit).map(toStoredItem), hasMore: rows.length > page.limit };
}

export async function listResponseEvents(
  db: Kysely<Database>,
  responseId: string,
  startingAfter: number,
): Promise<readonly StoredEvent[]> {
  const rows = await db
    .selectFrom('response_events')
    .select(['sequence_number', 'event_json'])
    .where('response_id', '=', responseId)
    .where('sequence_number', '>', startingAfter)
    .orderBy('sequence_number', 'asc')
    .execute();
  return rows.map((row) => ({ sequenceNumber: row.sequence_number, event: parseJsonObject(row.event_json) }));
}

export async function listUnfinishedResponses(db: Kysely<Database>): Promise<readonly StoredResponse[]> {
  const rows = await db
    .selectFrom('responses')
    .selectAll()
    .where('status', 'in', ['queued', 'in_progress'])
    .orderBy('created_at', 'asc')
    .execute();
  return rows.map(fromRow);
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
