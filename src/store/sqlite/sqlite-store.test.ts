import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
