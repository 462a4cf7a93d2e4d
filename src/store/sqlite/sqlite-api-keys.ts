import type { Database } from 'better-sqlite3';
import type { ApiKeysTable } from './schema.js';
import type { ApiKeyStore, StoredApiKey } from '../api-key-store.js';
import { settle } from './settle.js';

/** API keys, with statements prepared once (every authenticated request looks one up). */
export class SqliteApiKeys {
  readonly #insert;
  readonly #byHash;
  readonly #all;
  readonly #revoke;
  readonly #count;

  constructor(db: Database) {
    this.#insert = db.prepare<ApiKeysTable>(
      `INSERT INTO api_keys (id, name, project_id, hash, prefix, created_at, revoked_at)
       VALUES (@id, @name, @project_id, @hash, @prefix, @created_at, @revoked_at)`,
    );
    this.#byHash = db.prepare<[string], ApiKeysTable>(
      'SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL',
    );
    this.#all = db.prepare<[], ApiKeysTable>('SELECT * FROM api_keys ORDER BY created_at, rowid');
    this.#revoke = db.prepare<[number, string]>(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    );
    this.#count = db.prepare<[], number>('SELECT count(*) FROM api_keys').pluck();
  }

  create(key: StoredApiKey): void {
    this.#insert.run({
      id: key.id,
      name: key.name,
      project_id: key.projectId,
      hash: key.hash,
      prefix: key.prefix,
      created_at: key.createdAt,
      revoked_at: key.revokedAt,
    });
  }

  findByHash(hash: string): StoredApiKey | undefined {
    const row = this.#byHash.get(hash);
    return row ? fromRow(row) : undefined;
  }

  list(): readonly StoredApiKey[] {
    return this.#all.all().map(fromRow);
  }

  revoke(id: string, revokedAt: number): boolean {
    return this.#revoke.run(revokedAt, id).changes > 0;
  }

  count(): number {
    return this.#count.get() ?? 0;
  }
}

function fromRow(row: ApiKeysTable): StoredApiKey {
  return {
    id: row.id,
    name: row.name,
    projectId: row.project_id,
    hash: row.hash,
    prefix: row.prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** The `ApiKeyStore` over SQLite. */
export function sqliteApiKeyStore(keys: SqliteApiKeys): ApiKeyStore {
  return {
    createApiKey: (key) => settle(() => keys.create(key)),
    findApiKeyByHash: (hash) => settle(() => keys.findByHash(hash)),
    listApiKeys: () => settle(() => keys.list()),
    revokeApiKey: (id, revokedAt) => settle(() => keys.revoke(id, revokedAt)),
    countApiKeys: () => settle(() => keys.count()),
  };
}
