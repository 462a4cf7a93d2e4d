import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Store } from '../store.js';
import { SqliteApiKeys, sqliteApiKeyStore } from './sqlite-api-keys.js';
import { SqliteContainers, sqliteContainerStore } from './sqlite-containers.js';
import { SqliteEgressLog, sqliteEgressLogStore } from './sqlite-egress-log.js';
import { SqliteConversations, sqliteConversationStore } from './sqlite-conversations.js';
import { SqliteFiles, sqliteFileStore } from './sqlite-files.js';
import { SqliteResponses, sqliteResponseStore } from './sqlite-responses.js';
import { SqliteSkills, sqliteSkillStore } from './sqlite-skills.js';
import { SqliteToolCalls, sqliteToolCallStore } from './sqlite-tool-calls.js';
import { settle } from './settle.js';
import { BerthError } from '../../errors/berth-error.js';

/**
 * Opens (creating if needed) the SQLite database at `path` and migrates it to the newest schema.
 * Each aggregate's store is its own object over the one connection. better-sqlite3 is synchronous: each call finishes before it returns,
 * so the Promise-returning methods settle at once (the interfaces are async for backends that are not).
 *
 * @example
 * const store = await openSqliteStore('/var/lib/berth/berth.sqlite');
 * const file = await store.files.getFile(projectId, fileId);
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
  // One connection for every aggregate: a response's write appends its conversation's items and a
  // response's delete removes its tool-call log in the same transaction.
  const conversations = new SqliteConversations(db);
  const toolCalls = new SqliteToolCalls(db);
  const egressLog = new SqliteEgressLog(db);
  const writeProbe = new WriteProbe(path);
  return {
    responses: sqliteResponseStore(new SqliteResponses(db, conversations, toolCalls)),
    conversations: sqliteConversationStore(conversations),
    files: sqliteFileStore(new SqliteFiles(db)),
    containers: sqliteContainerStore(new SqliteContainers(db, egressLog)),
    skills: sqliteSkillStore(new SqliteSkills(db)),
    apiKeys: sqliteApiKeyStore(new SqliteApiKeys(db)),
    toolCalls: sqliteToolCallStore(toolCalls),
    egressLog: sqliteEgressLogStore(egressLog),
    checkWritable: () => settle(() => writeProbe.check()),
    close: () =>
      settle(() => {
        writeProbe.close();
        db.close();
      }),
  };
}

/** How long the readiness check waits for another process's write lock (it blocks the event loop). */
const writeProbeWaitMs = 250;

/**
 * The readiness check's own connection to the database: it takes the write lock and lets it go at
 * once (`BEGIN IMMEDIATE`, `ROLLBACK`), which fails on a database opened read-only, on a file or
 * directory that became unwritable, and when another process has held the lock past a short wait.
 * It has a connection of its own so the check never waits the store's 5 s busy timeout, blocking
 * every request, and never touches the store's transactions.
 */
class WriteProbe {
  #db: SQLite.Database | undefined;
  #closed = false;

  constructor(private readonly path: string) {}

  check(): void {
    if (this.#closed) throw new Error('The database is closed.');
    this.#db ??= new SQLite(this.path, { fileMustExist: true, timeout: writeProbeWaitMs });
    this.#db.exec('BEGIN IMMEDIATE');
    this.#db.exec('ROLLBACK');
  }

  close(): void {
    this.#closed = true;
    this.#db?.close();
  }
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
