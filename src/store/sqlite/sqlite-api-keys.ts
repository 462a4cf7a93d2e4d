import type { Kysely } from 'kysely';
import type { ApiKeysTable, Database } from './schema.js';
import type { StoredApiKey } from '../store.js';

export async function createApiKey(db: Kysely<Database>, key: StoredApiKey): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      name: key.name,
      project_id: key.projectId,
      hash: key.hash,
      prefix: key.prefix,
      created_at: key.createdAt,
      revoked_at: key.revokedAt,
    })
    .execute();
}

export async function findApiKeyByHash(
  db: Kysely<Database>,
  hash: string,
): Promise<StoredApiKey | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listApiKeys(db: Kysely<Database>): Promise<readonly StoredApiKey[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').execute();
  return rows.map(fromRow);
}

export async function revokeApiKey(
  db: Kysely<Database>,
  idOrName: string,
  revokedAt: number,
): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: revokedAt })
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function countApiKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
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
