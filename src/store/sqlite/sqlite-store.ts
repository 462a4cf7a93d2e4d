import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import type { Store } from '../store.js';
import * as responses from './sqlite-responses.js';
import * as conversations from './sqlite-conversations.js';
import * as apiKeys from './sqlite-api-keys.js';
import { BerthError } from '../../errors/berth-error.js';

/**
 * Opens (creating if needed) the SQLite database at `path` and migrates it to the newest schema.
 *
 * @example
 * const store = await openSqliteStore('/var/lib/berth/berth.sqlite');
 */
export async function openSqliteStore(path: string): Promise<Store> {
  const sqlite = new SQLite(path);
  // WAL lets readers run while a writer commits; NORMAL sync is durable across process crashes
  // (only an OS crash can lose the last transactions), the usual trade for WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Another process (a CLI `keys create` beside a running server) may hold the write lock briefly.
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });

  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new BerthError('configuration_error', `Migrating the database at ${path} failed at ${failed}.`, {
      cause: error,
    });
  }

  return {
    writeResponse: (write) => responses.writeResponse(db, write),
    getResponse: (projectId, id) => responses.getResponse(db, projectId, id),
    deleteResponse: (projectId, id) => responses.deleteResponse(db, projectId, id),
    loadChainItems: (projectId, id) => responses.loadChainItems(db, projectId, id),
    listInputItems: (projectId, id, page) => responses.listInputItems(db, projectId, id, page),
    listResponseEvents: (responseId, startingAfter) =>
      responses.listResponseEvents(db, responseId, startingAfter),
    listUnfinishedResponses: () => responses.listUnfinishedResponses(db),

    createConversation: (conversation, items) => conversations.createConversation(db, conversation, items),
    getConversation: (projectId, id) => conversations.getConversation(db, projectId, id),
    updateConversationMetadata: (projectId, id, metadata) =>
      conversations.updateConversationMetadata(db, projectId, id, metadata),
    deleteConversation: (projectId, id) => conversations.deleteConversation(db, projectId, id),
    appendConversationItems: (projectId, id, items) =>
      conversations.appendConversationItems(db, projectId, id, items),
    loadConversationItems: (projectId, id) => conversations.loadConversationItems(db, projectId, id),
    listConversationItems: (projectId, id, page) =>
      conversations.listConversationItems(db, projectId, id, page),
    getConversationItem: (projectId, id, itemId) =>
      conversations.getConversationItem(db, projectId, id, itemId),
    deleteConversationItem: (projectId, id, itemId) =>
      conversations.deleteConversationItem(db, projectId, id, itemId),

    createApiKey: (key) => apiKeys.createApiKey(db, key),
    findApiKeyByHash: (hash) => apiKeys.findApiKeyByHash(db, hash),
    listApiKeys: () => apiKeys.listApiKeys(db),
    revokeApiKey: (idOrName, revokedAt) => apiKeys.revokeApiKey(db, idOrName, revokedAt),
    countApiKeys: () => apiKeys.countApiKeys(db),

    close: () => db.destroy(),
  };
}
