import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContracts } from '../../../test/contract/store/store.contract.js';
import { openSqliteStore } from './sqlite-store.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-store-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;

describeStoreContracts('sqlite', () => openSqliteStore(join(directory, `store-${counter++}.sqlite`)));

describe('sqlite store file', () => {
  it('keeps data across a close and reopen of the same file', async () => {
    const path = join(directory, 'reopen.sqlite');
    const conversation = { id: 'conv_1', projectId: 'p', createdAt: 1, metadata: { topic: 'reopen' } };
    const item = { id: 'msg_1', item: { id: 'msg_1', type: 'message', role: 'user', content: [] } };
    const first = await openSqliteStore(path);
    await first.conversations.createConversation(conversation, [item]);
    await first.close();
    const second = await openSqliteStore(path);
    expect(await second.conversations.getConversation('p', 'conv_1')).toEqual(conversation);
    expect(await second.conversations.loadConversationItems('p', 'conv_1')).toEqual([item]);
    await second.close();
  });

  it('is not writable while another process holds the write lock, and is again once it lets go', async () => {
    const path = join(directory, 'locked.sqlite');
    const store = await openSqliteStore(path);
    await store.checkWritable();
    // Another process (a `berth keys create`, a backup tool) in the middle of a write transaction.
    const other = new SQLite(path);
    other.exec('BEGIN EXCLUSIVE');
    await expect(store.checkWritable()).rejects.toThrow(/locked/);
    other.exec('ROLLBACK');
    await expect(store.checkWritable()).resolves.toBeUndefined();
    other.close();
    await store.close();
  });
});
