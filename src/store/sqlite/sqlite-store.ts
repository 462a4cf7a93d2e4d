import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Store } from '../store.js';
import { SqliteResponses } from './sqlite-responses.js';
import { SqliteConversations } from './sqlite-conversations.js';
import { SqliteApiKeys } from './sqlite-api-keys.js';
import { SqliteFiles } from './sqlite-files.js';
import { SqliteContainers } from './sqlite-containers.js';
import { SqliteToolCalls } from './sqlite-tool-calls.js';
import { SqliteSkills } from './sqlite-skills.js';
import { BerthError } from '../../errors/berth-error.js';

/**
 * Opens (creating if needed) the SQLite database at `path` and migrates it to the newest schema.
 * better-sqlite3 is synchronous: each call below finishes before it returns, so the Promise-returning
 * Store methods resolve at once (the interface is async for backends that are not).
 *
 * @example
 * const store = await openSqliteStore('/var/lib/berth/berth.sqlite');
 */
export async function openSqliteStore(path: string): Promise<Store> {
  await migrate(path);
  const db = new SQLite(path);
  // WAL lets readers run while a writer commits; NORMAL sync is durable across process crashes
  // (only an OS crash can lose the last transactions), the usual trade for WAL.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Another process (a CLI `keys create` beside a running server) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  const conversations = new SqliteConversations(db);
  const toolCalls = new SqliteToolCalls(db);
  const responses = new SqliteResponses(db, conversations, toolCalls);
  const apiKeys = new SqliteApiKeys(db);
  const files = new SqliteFiles(db);
  const containers = new SqliteContainers(db);
  const skills = new SqliteSkills(db);
  const run = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    writeResponse: (write) => responses.write(write),
    getResponse: (projectId, id) => run(() => responses.get(projectId, id)),
    deleteResponse: (projectId, id) => run(() => responses.delete(projectId, id)),
    loadChainItems: (projectId, id) => run(() => responses.loadChain(projectId, id)),
    listInputItems: (projectId, id, page) => run(() => responses.listInputItems(projectId, id, page)),
    listResponseEvents: (responseId, startingAfter) =>
      run(() => responses.listEvents(responseId, startingAfter)),
    listUnfinishedResponses: () => run(() => responses.listUnfinished()),

    createConversation: (conversation, items) => run(() => conversations.create(conversation, items)),
    getConversation: (projectId, id) => run(() => conversations.get(projectId, id)),
    updateConversationMetadata: (projectId, id, metadata) =>
      run(() => conversations.updateMetadata(projectId, id, metadata)),
    deleteConversation: (projectId, id) => run(() => conversations.delete(projectId, id)),
    appendConversationItems: (projectId, id, items) => run(() => conversations.append(projectId, id, items)),
    loadConversationItems: (projectId, id) => run(() => conversations.loadItems(projectId, id)),
    listConversationItems: (projectId, id, page) => run(() => conversations.listItems(projectId, id, page)),
    getConversationItem: (projectId, id, itemId) => run(() => conversations.getItem(projectId, id, itemId)),
    deleteConversationItem: (projectId, id, itemId) =>
      run(() => conversations.deleteItem(projectId, id, itemId)),

    createApiKey: (key) => run(() => apiKeys.create(key)),
    findApiKeyByHash: (hash) => run(() => apiKeys.findByHash(hash)),
    listApiKeys: () => run(() => apiKeys.list()),
    revokeApiKey: (idOrName, revokedAt) => run(() => apiKeys.revoke(idOrName, revokedAt)),
    countApiKeys: () => run(() => apiKeys.count()),

    createFile: (file) => run(() => files.create(file)),
    getFile: (projectId, id) => run(() => files.get(projectId, id)),
    listFiles: (projectId, query) => run(() => files.list(projectId, query)),
    deleteFile: (projectId, id) => run(() => files.delete(projectId, id)),
    listExpiredFiles: (now, limit) => run(() => files.listExpired(now, limit)),
    findRecordedFileIds: (ids) => run(() => files.findRecorded(ids)),

    createContainer: (container) => run(() => containers.create(container)),
    getContainer: (projectId, id) => run(() => containers.get(projectId, id)),
    listContainers: (projectId, query) => run(() => containers.list(projectId, query)),
    updateContainer: (id, status, lastActiveAt) => run(() => containers.update(id, status, lastActiveAt)),
    deleteContainer: (projectId, id) => run(() => containers.delete(projectId, id)),
    listContainersByStatus: (status) => run(() => containers.listByStatus(status)),
    countContainers: (projectId, status) => run(() => containers.count(projectId, status)),
    putContainerFile: (file) => run(() => containers.putFile(file)),
    getContainerFile: (containerId, id) => run(() => containers.getFile(containerId, id)),
    listContainerFiles: (containerId, page) => run(() => containers.listFiles(containerId, page)),
    allContainerFiles: (containerId) => run(() => containers.allFiles(containerId)),
    deleteContainerFile: (containerId, id) => run(() => containers.deleteFile(containerId, id)),

    recordToolCall: (record) => run(() => toolCalls.record(record)),
    listToolCalls: (projectId, responseId, page) => run(() => toolCalls.list(projectId, responseId, page)),

    createSkill: (skill, version) => run(() => skills.create(skill, version)),
    getSkill: (projectId, id) => run(() => skills.get(projectId, id)),
    listSkills: (projectId, page) => run(() => skills.list(projectId, page)),
    deleteSkill: (projectId, id) => run(() => skills.delete(projectId, id)),
    addSkillVersion: (projectId, skillId, version, makeDefault) =>
      run(() => skills.addVersion(projectId, skillId, version, makeDefault)),
    getSkillVersion: (projectId, skillId, version) =>
      run(() => skills.getVersion(projectId, skillId, version)),
    listSkillVersions: (projectId, skillId, page) => run(() => skills.listVersions(projectId, skillId, page)),
    setSkillDefaultVersion: (projectId, skillId, version) =>
      run(() => skills.setDefault(projectId, skillId, version)),
    deleteSkillVersion: (projectId, skillId, version) =>
      run(() => skills.deleteVersion(projectId, skillId, version)),
    listSkillVersionIds: () => run(() => skills.versionIds()),

    close: () => run(() => void db.close()),
  };
}

/**
 * Schema changes run through Kysely's Migrator (ordered, recorded, one transaction each) on a
 * connection of their own; queries then use better-sqlite3 directly with cached prepared statements.
 */
async function migrate(path: string): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
  try {
    const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
      throw new BerthError('configuration_error', `Migrating the database at ${path} failed at ${failed}.`, {
        cause: error,
      });
    }
  } finally {
    await db.destroy();
  }
}
