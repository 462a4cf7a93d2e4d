import { describe, expect, it } from 'vitest';
import type { ConversationStore, StoredConversation } from '../../../src/store/store.js';
import { freshStores, messageItem as item, type OpenStores } from './open-stores.js';

/**
 * The behaviour every `ConversationStore` must have. (Items a response's write appends are the
 * `ResponseStore` suite's.)
 */
export function describeConversationStoreContract(
  backend: string,
  open: OpenStores<{ readonly conversations: ConversationStore }>,
): void {
  describe(`ConversationStore contract: ${backend}`, () => {
    const stores = freshStores(open);

    it('keeps conversations and their items per project, appending in order', async () => {
      const { conversations } = stores();
      const conversation: StoredConversation = {
        id: 'conv_1',
        projectId: 'proj_a',
        createdAt: 1,
        metadata: { a: '1' },
      };
      await conversations.createConversation(conversation, [item('msg_1')]);
      expect(await conversations.getConversation('proj_a', 'conv_1')).toEqual(conversation);
      expect(await conversations.getConversation('proj_b', 'conv_1')).toBeUndefined();
      expect(
        await conversations.appendConversationItems('proj_a', 'conv_1', [item('msg_2'), item('msg_3')]),
      ).toBe(true);
      expect(await conversations.appendConversationItems('proj_b', 'conv_1', [item('msg_x')])).toBe(false);
      expect(await conversations.appendConversationItems('proj_a', 'conv_1', [item('msg_4')])).toBe(true);
      const all = await conversations.loadConversationItems('proj_a', 'conv_1');
      expect(all).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4'].map((id) => item(id)));
      expect(await conversations.loadConversationItems('proj_b', 'conv_1')).toBeUndefined();
      const page = await conversations.listConversationItems('proj_a', 'conv_1', {
        limit: 2,
        order: 'asc',
        after: 'msg_1',
      });
      expect(page).toEqual({ data: [item('msg_2'), item('msg_3')], hasMore: true });
      const newest = await conversations.listConversationItems('proj_a', 'conv_1', {
        limit: 3,
        order: 'desc',
      });
      expect(newest?.data.map((entry) => entry.id)).toEqual(['msg_4', 'msg_3', 'msg_2']);
      expect(
        await conversations.listConversationItems('proj_b', 'conv_1', { limit: 2, order: 'asc' }),
      ).toBeUndefined();
      expect(await conversations.getConversationItem('proj_a', 'conv_1', 'msg_2')).toEqual(item('msg_2'));
      expect(await conversations.getConversationItem('proj_a', 'conv_1', 'msg_x')).toBeUndefined();
      expect(await conversations.getConversationItem('proj_b', 'conv_1', 'msg_2')).toBeUndefined();
      expect(await conversations.deleteConversationItem('proj_b', 'conv_1', 'msg_2')).toBe(false);
      expect(await conversations.deleteConversationItem('proj_a', 'conv_1', 'msg_2')).toBe(true);
      expect(await conversations.deleteConversationItem('proj_a', 'conv_1', 'msg_2')).toBe(false);
      expect(
        (await conversations.loadConversationItems('proj_a', 'conv_1'))?.map((entry) => entry.id),
      ).toEqual(['msg_1', 'msg_3', 'msg_4']);
      expect(await conversations.updateConversationMetadata('proj_a', 'conv_1', { b: '2' })).toEqual({
        ...conversation,
        metadata: { b: '2' },
      });
      expect(await conversations.updateConversationMetadata('proj_b', 'conv_1', { c: '3' })).toBeUndefined();
      expect((await conversations.getConversation('proj_a', 'conv_1'))?.metadata).toEqual({ b: '2' });
      expect(await conversations.deleteConversation('proj_b', 'conv_1')).toBe(false);
      expect(await conversations.deleteConversation('proj_a', 'conv_1')).toBe(true);
      expect(await conversations.getConversation('proj_a', 'conv_1')).toBeUndefined();
      expect(await conversations.loadConversationItems('proj_a', 'conv_1')).toBeUndefined();
      expect(await conversations.deleteConversation('proj_a', 'conv_1')).toBe(false);
    });
  });
}
