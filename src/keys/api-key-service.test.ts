import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdGenerator } from '../ids.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { hashApiKey } from './api-key-secret.js';
import { ApiKeyService } from './api-key-service.js';

let root: string;
let store: Store;
let nowMs: number;
let keys: ApiKeyService;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-keys-'));
  store = await openSqliteStore(join(root, 'berth.sqlite'));
  nowMs = 1_700_000_000_500;
  let counter = 0;
  const ids: IdGenerator = { next: (prefix) => `${prefix}_${++counter}` };
  keys = new ApiKeyService({ store: store.apiKeys, ids, clock: { now: () => nowMs } });
});
afterEach(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('ApiKeyService', () => {
  it('creates a key whose secret is shown once and stored only as a hash and a prefix', async () => {
    const { key, secret } = await keys.create({ name: 'ci', projectId: 'alpha' });
    // `sk-berth-` and 32 random bytes in base64url.
    expect(secret).toMatch(/^sk-berth-[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual({
      id: 'key_1',
      name: 'ci',
      projectId: 'alpha',
      hash: hashApiKey(secret),
      prefix: secret.slice(0, 14),
      createdAt: 1_700_000_000,
      revokedAt: null,
    });
    expect(await keys.list()).toEqual([key]);
    expect(JSON.stringify(await keys.list())).not.toContain(secret.slice(14));
    expect((await keys.create({ name: 'laptop', projectId: 'alpha' })).secret).not.toBe(secret);
  });

  it('authenticates a secret until its key is revoked, and keeps counting revoked keys', async () => {
    expect(await keys.count()).toBe(0);
    const { key, secret } = await keys.create({ name: 'ci', projectId: 'alpha' });
    expect(await keys.authenticate(secret)).toEqual(key);
    expect(await keys.authenticate(`${secret}x`)).toBeUndefined();
    nowMs += 60_000;
    expect(await keys.revoke(key.id)).toEqual({ revoked: [{ ...key, revokedAt: 1_700_000_060 }] });
    expect(await keys.revoke(key.id)).toEqual({
      revoked: [],
      problem: `no active key with id or prefix '${key.id}'`,
    });
    expect(await keys.authenticate(secret)).toBeUndefined();
    expect(await keys.list()).toEqual([{ ...key, revokedAt: 1_700_000_060 }]);
    expect(await keys.count()).toBe(1);
    const second = await keys.create({ name: 'other', projectId: 'beta' });
    expect((await keys.revoke(`${second.key.prefix}…`)).revoked).toEqual([
      { ...second.key, revokedAt: 1_700_000_060 },
    ]);
  });

  it('revokes by name only when asked to revoke every key of that name', async () => {
    const first = await keys.create({ name: 'laptop', projectId: 'alpha' });
    const second = await keys.create({ name: 'laptop', projectId: 'alpha' });
    const other = await keys.create({ name: 'ci', projectId: 'alpha' });
    expect(await keys.revoke('laptop')).toEqual({
      revoked: [],
      problem:
        "'laptop' is the name of 2 active keys: revoke one by its id (see `berth keys list`), or every key of that name with --all",
    });
    expect(await keys.authenticate(first.secret)).toBeDefined();
    expect((await keys.revoke('laptop', { allNamed: true })).revoked.map((key) => key.id)).toEqual([
      first.key.id,
      second.key.id,
    ]);
    expect(await keys.authenticate(second.secret)).toBeUndefined();
    expect(await keys.authenticate(other.secret)).toBeDefined();
    expect(await keys.revoke('laptop', { allNamed: true })).toEqual({
      revoked: [],
      problem: "no active key named 'laptop'",
    });
    // --all takes a name, never an id.
    expect((await keys.revoke(other.key.id, { allNamed: true })).revoked).toEqual([]);
  });
});
