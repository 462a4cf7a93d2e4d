import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
let client: OpenAI;
beforeAll(async () => {
  berth = await startTestBerth();
  client = berth.client();
});
afterAll(async () => {
  await berth.close();
});

describe('Conversations API', () => {
  it('creates, updates, lists, reads and deletes conversations and items', async () => {
    const conversation = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'Remember: the code word is heron.' }],
      metadata: { topic: 'test' },
    });
    expect(conversation).toMatchObject({ object: 'conversation', metadata: { topic: 'test' } });
    expect(conversation.id).toMatch(/^conv_/);

    const updated = await client.conversations.update(conversation.id, { metadata: { topic: 'renamed' } });
    expect(updated.metadata).toEqual({ topic: 'renamed' });

    const added = await client.conversations.items.create(conversation.id, {
      items: [
        { type: 'message', role: 'user', content: 'second' },
        { type: 'message', role: 'user', content: 'third' },
      ],
    });
    expect(added.data).toHaveLength(2);

    const ids: string[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { limit: 1, order: 'asc' })) {
      ids.push((item as { id: string }).id);
    }
    expect(ids).toHaveLength(3);

    const second = await client.conversations.items.retrieve(ids[1] ?? '', {
      conversation_id: conversation.id,
    });
    expect(second).toMatchObject({ type: 'message', role: 'user' });

    const afterDelete = await client.conversations.items.delete(ids[1] ?? '', {
      conversation_id: conversation.id,
    });
    expect(afterDelete.id).toBe(conversation.id);
    await expect(
      client.conversations.items.retrieve(ids[1] ?? '', { conversation_id: conversation.id }),
    ).rejects.toMatchObject({ status: 404 });

    const deleted = await client.conversations.delete(conversation.id);
    expect(deleted).toMatchObject({ id: conversation.id, deleted: true });
    await expect(client.conversations.retrieve(conversation.id)).rejects.toMatchObject({ status: 404 });
  });

  it('gives a response the conversation as context and appends its input and output', async () => {
    const conversation = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'The code word is heron.' }],
    });
    berth.upstreams.local.script({ text: 'The code word is heron.' });
    const response = await client.responses.create({
      model: 'local/llama3.2',
      conversation: conversation.id,
      input: 'What is the code word?',
    });
    expect(response.conversation).toEqual({ id: conversation.id });
    expect(JSON.stringify(berth.upstreams.local.requests.at(-1)?.body)).toContain('The code word is heron.');

    const items = await client.conversations.items.list(conversation.id, { order: 'asc' });
    const texts = items.data.map((item) => JSON.stringify(item));
    expect(items.data).toHaveLength(3);
    expect(texts[1]).toContain('What is the code word?');
    expect(items.data[2]).toMatchObject({ type: 'message', role: 'assistant', id: response.output[0]?.id });
  });

  it('repeats a referenced item as a new item of the conversation', async () => {
    const conversation = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'Quote me.' }],
    });
    const [first] = (await client.conversations.items.list(conversation.id)).data;
    const added = await client.conversations.items.create(conversation.id, {
      items: [{ type: 'item_reference', id: (first as { id: string }).id }],
    });
    expect(added.data[0]).toMatchObject({ type: 'message', role: 'user' });
    expect((added.data[0] as { id: string }).id).not.toBe((first as { id: string }).id);
    const response = await client.responses.create({
      model: 'oai/gpt-5',
      conversation: conversation.id,
      input: [{ type: 'item_reference', id: (first as { id: string }).id }],
    });
    expect(response.status).toBe('completed');
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(4);
  });

  it('clears metadata when updated with null', async () => {
    const conversation = await client.conversations.create({ metadata: { a: '1' } });
    const updated = await client.conversations.update(conversation.id, { metadata: null });
    expect(updated.metadata).toEqual({});
  });

  it('rejects previous_response_id together with conversation, and an unknown conversation', async () => {
    await expect(
      client.responses.create({
        model: 'oai/gpt-5',
        input: 'x',
        conversation: 'conv_x',
        previous_response_id: 'resp_x',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'conversation' });
    await expect(
      client.responses.create({ model: 'oai/gpt-5', input: 'x', conversation: 'conv_unknown' }),
    ).rejects.toMatchObject({ status: 404, param: 'conversation' });
  });
});
