import type { Database } from 'better-sqlite3';
import { parseJsonObject, toStoredItem, type ItemRow } from './json-columns.js';
import { ItemPages } from './item-pages.js';
import type { ConversationsTable } from './schema.js';
import type { ConversationStore, StoredConversation } from '../conversation-store.js';
import type { Page, PageRequest } from '../page.js';
import type { StoredItem } from '../stored-item.js';
import { settle } from './settle.js';

/** Conversations and their items, with statements prepared once. */
export class SqliteConversations {
  readonly #db: Database;
  readonly #insert;
  readonly #select;
  readonly #updateMetadata;
  readonly #delete;
  readonly #deleteAllItems;
  readonly #lastPosition;
  readonly #insertItem;
  readonly #allItems;
  readonly #pages;
  readonly #item;
  readonly #deleteItem;

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare<ConversationsTable>(
      'INSERT INTO conversations (id, project_id, created_at, metadata_json) VALUES (@id, @project_id, @created_at, @metadata_json)',
    );
    this.#select = db.prepare<[string, string], ConversationsTable>(
      'SELECT * FROM conversations WHERE id = ? AND project_id = ?',
    );
    this.#updateMetadata = db.prepare<[string, string, string]>(
      'UPDATE conversations SET metadata_json = ? WHERE id = ? AND project_id = ?',
    );
    this.#delete = db.prepare<[string, string]>('DELETE FROM conversations WHERE id = ? AND project_id = ?');
    this.#deleteAllItems = db.prepare<[string]>('DELETE FROM conversation_items WHERE conversation_id = ?');
    this.#lastPosition = db
      .prepare<[string], number | null>(
        'SELECT max(position) FROM conversation_items WHERE conversation_id = ?',
      )
      .pluck();
    this.#insertItem = db.prepare<[string, number, string, string]>(
      'INSERT INTO conversation_items (conversation_id, position, item_id, item_json) VALUES (?, ?, ?, ?)',
    );
    this.#allItems = db.prepare<[string], ItemRow>(
      'SELECT item_id, item_json FROM conversation_items WHERE conversation_id = ? ORDER BY position',
    );
    this.#pages = new ItemPages(db, 'conversation_items WHERE conversation_id = ?');
    this.#item = db.prepare<[string, string], ItemRow>(
      'SELECT item_id, item_json FROM conversation_items WHERE conversation_id = ? AND item_id = ?',
    );
    this.#deleteItem = db.prepare<[string, string]>(
      'DELETE FROM conversation_items WHERE conversation_id = ? AND item_id = ?',
    );
  }

  create(conversation: StoredConversation, items: readonly StoredItem[]): void {
    this.#db.transaction(() => {
      this.#insert.run({
        id: conversation.id,
        project_id: conversation.projectId,
        created_at: conversation.createdAt,
        metadata_json: JSON.stringify(conversation.metadata),
      });
      this.appendInTransaction(conversation.id, items);
    })();
  }

  get(projectId: string, id: string): StoredConversation | undefined {
    const row = this.#select.get(id, projectId);
    if (!row) return undefined;
    return {
      id: row.id,
      projectId: row.project_id,
      createdAt: row.created_at,
      metadata: parseJsonObject(row.metadata_json) as Record<string, string>,
    };
  }

  updateMetadata(
    projectId: string,
    id: string,
    metadata: Readonly<Record<string, string>>,
  ): StoredConversation | undefined {
    if (this.#updateMetadata.run(JSON.stringify(metadata), id, projectId).changes === 0) return undefined;
    return this.get(projectId, id);
  }

  delete(projectId: string, id: string): boolean {
    return this.#db.transaction(() => {
      if (this.#delete.run(id, projectId).changes === 0) return false;
      this.#deleteAllItems.run(id);
      return true;
    })();
  }

  /** Appends after the current last position; the caller holds a transaction. */
  appendInTransaction(conversationId: string, items: readonly StoredItem[]): void {
    const start = (this.#lastPosition.get(conversationId) ?? -1) + 1;
    items.forEach((item, index) => {
      this.#insertItem.run(conversationId, start + index, item.id, JSON.stringify(item.item));
    });
  }

  append(projectId: string, id: string, items: readonly StoredItem[]): boolean {
    return this.#db.transaction(() => {
      if (!this.#select.get(id, projectId)) return false;
      this.appendInTransaction(id, items);
      return true;
    })();
  }

  loadItems(projectId: string, id: string): readonly StoredItem[] | undefined {
    if (!this.#select.get(id, projectId)) return undefined;
    return this.#allItems.all(id).map(toStoredItem);
  }

  listItems(projectId: string, id: string, page: PageRequest): Page<StoredItem> | undefined {
    if (!this.#select.get(id, projectId)) return undefined;
    return this.#pages.list(id, page);
  }

  getItem(projectId: string, id: string, itemId: string): StoredItem | undefined {
    if (!this.#select.get(id, projectId)) return undefined;
    const row = this.#item.get(id, itemId);
    return row ? toStoredItem(row) : undefined;
  }

  deleteItem(projectId: string, id: string, itemId: string): boolean {
    return this.#db.transaction(() => {
      if (!this.#select.get(id, projectId)) return false;
      return this.#deleteItem.run(id, itemId).changes > 0;
    })();
  }
}

/** The `ConversationStore` over SQLite. */
export function sqliteConversationStore(conversations: SqliteConversations): ConversationStore {
  return {
    createConversation: (conversation, items) => settle(() => conversations.create(conversation, items)),
    getConversation: (projectId, id) => settle(() => conversations.get(projectId, id)),
    updateConversationMetadata: (projectId, id, metadata) =>
      settle(() => conversations.updateMetadata(projectId, id, metadata)),
    deleteConversation: (projectId, id) => settle(() => conversations.delete(projectId, id)),
    appendConversationItems: (projectId, id, items) =>
      settle(() => conversations.append(projectId, id, items)),
    loadConversationItems: (projectId, id) => settle(() => conversations.loadItems(projectId, id)),
    listConversationItems: (projectId, id, page) =>
      settle(() => conversations.listItems(projectId, id, page)),
    getConversationItem: (projectId, id, itemId) =>
      settle(() => conversations.getItem(projectId, id, itemId)),
    deleteConversationItem: (projectId, id, itemId) =>
      settle(() => conversations.deleteItem(projectId, id, itemId)),
  };
}
