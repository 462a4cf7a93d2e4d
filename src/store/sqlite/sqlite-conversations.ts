import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { parseJsonObject, toStoredItem } from './json-columns.js';
import type { Page, PageRequest, StoredConversation, StoredItem } from '../store.js';

export async function createConversation(
  db: Kysely<Database>,
  conversation: StoredConversation,
  items: readonly StoredItem[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('conversations')
      .values({
        id: conversation.id,
        project_id: conversation.projectId,
        created_at: conversation.createdAt,
        metadata_json: JSON.stringify(conversation.metadata),
      })
      .execute();
    await appendConversationItemsIn(trx, conversation.id, items);
  });
}

export async function getConversation(
  db: Kysely<Database> | Transaction<Database>,
  projectId: string,
  id: string,
): Promise<StoredConversation | undefined> {
  const row = await db
    .selectFrom('conversations')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    projectId: row.project_id,
    createdAt: row.created_at,
    metadata: parseJsonObject(row.metadata_json) as Record<string, string>,
  };
}

export async function updateConversationMetadata(
  db: Kysely<Database>,
  projectId: string,
  id: string,
  metadata: Readonly<Record<string, string>>,
): Promise<StoredConversation | undefined> {
  const result = await db
    .updateTable('conversations')
    .set({ metadata_json: JSON.stringify(metadata) })
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return undefined;
  return getConversation(db, projectId, id);
}

export async function deleteConversation(
  db: Kysely<Database>,
  projectId: string,
  id: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('conversations')
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (deleted.numDeletedRows === 0n) return false;
    await trx.deleteFrom('conversation_items').where('conversation_id', '=', id).execute();
    return true;
  });
}

/** Appends after the current last position; callers run it inside a transaction. */
export async function appendConversationItemsIn(
  trx: Transaction<Database>,
  conversationId: string,
  items: readonly StoredItem[],
): Promise<void> {
  if (items.length === 0) return;
  const last = await trx
    .selectFrom('conversation_items')
    .select((eb) => eb.fn.max('position').as('position'))
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst();
  const start = (last?.position ?? -1) + 1;
  await trx
    .insertInto('conversation_items')
    .values(
      items.map((item, index) => ({
        conversation_id: conversationId,
        position: start + index,
        item_id: item.id,
        item_json: JSON.stringify(item.item),
      })),
    )
    .execute();
}

export async function appendConversationItems(
  db: Kysely<Database>,
  projectId: string,
  id: string,
  items: readonly StoredItem[],
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await getConversation(trx, projectId, id))) return false;
    await appendConversationItemsIn(trx, id, items);
    return true;
  });
}

export async function loadConversationItems(
  db: Kysely<Database>,
  projectId: string,
  id: string,
): Promise<readonly StoredItem[] | undefined> {
  if (!(await getConversation(db, projectId, id))) return undefined;
  const rows = await db
    .selectFrom('conversation_items')
    .select(['item_id', 'item_json'])
    .where('conversation_id', '=', id)
    .orderBy('position', 'asc')
    .execute();
  return rows.map(toStoredItem);
}

export async function listConversationItems(
  db: Kysely<Database>,
  projectId: string,
  id: string,
  page: PageRequest,
): Promise<Page<StoredItem> | undefined> {
  if (!(await getConversation(db, projectId, id))) return undefined;
  let query = db
    .selectFrom('conversation_items')
    .select(['item_id', 'item_json'])
    .where('conversation_id', '=', id);
  if (page.after !== undefined) {
    const cursor = await db
      .selectFrom('conversation_items')
      .select('position')
      .where('conversation_id', '=', id)
      .where('item_id', '=', page.after)
      .executeTakeFirst();
    if (!cursor) return { data: [], hasMore: false };
    query = query.where('position', page.order === 'asc' ? '>' : '<', cursor.position);
  }
  const rows = await query
    .orderBy('position', page.order)
    .limit(page.limit + 1)
    .execute();
  return { data: rows.slice(0, page.limit).map(toStoredItem), hasMore: rows.length > page.limit };
}

export async function getConversationItem(
  db: Kysely<Database>,
  projectId: string,
  id: string,
  itemId: string,
): Promise<StoredItem | undefined> {
  if (!(await getConversation(db, projectId, id))) return undefined;
  const row = await db
    .selectFrom('conversation_items')
    .select(['item_id', 'item_json'])
    .where('conversation_id', '=', id)
    .where('item_id', '=', itemId)
    .executeTakeFirst();
  return row ? toStoredItem(row) : undefined;
}

export async function deleteConversationItem(
  db: Kysely<Database>,
  projectId: string,
  id: string,
  itemId: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await getConversation(trx, projectId, id))) return false;
    const deleted = await trx
      .deleteFrom('conversation_items')
      .where('conversation_id', '=', id)
      .where('item_id', '=', itemId)
      .executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  });
}
