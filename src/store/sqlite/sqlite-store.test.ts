import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../../test/contract/store-contract.js';
import { openSqliteStore } from './sqlite-store.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-store-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;

describeStoreContract('sqlite', () => openSqliteStore(join(directory, `store-${counter++}.sqlite`)));

describe('sqlite store file', () => {
  it('keeps data across a close and reopen of the same file', async () => {
    const path = join(directory, 'reopen.sqlite');
    const first = await openSqliteStore(path);
    await first.createConversation({ id: 'conv_1', projectId: 'p', createdAt: 1, metadata: {} }, []);
    await first.close();
    const second = await openSqliteStore(path);
    expect(await second.getConversation('p', 'conv_1')).toBeDefined();
    await second.close();
  });
});
