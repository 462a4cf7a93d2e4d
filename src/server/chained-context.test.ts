import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

/**
 * A follow-up's context comes from the server's memory of recent responses when it can: it must be
 * exactly what the store would give, before and after a restart and after a delete.
 */
describe('chained context', () => {
  let berth: TestBerth;
  const sent = (index: number) => JSON.stringify(berth.upstreams.oai.requests[index]?.body ?? null);

  beforeAll(async () => {
    berth = await startTestBerth();
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('sends the same context from memory, from the store after a restart, and without a deleted response', async () => {
    const client = berth.client();
    berth.upstreams.oai.script({ text: 'first answer' }, { text: 'second answer' }, { text: 'third answer' });
    const first = await client.responses.create({ model: 'oai/gpt-5', input: 'first question' });
    const second = await client.responses.create({
      model: 'oai/gpt-5',
      previous_response_id: first.id,
      input: 'second question',
    });
    const third = await client.responses.create({
      model: 'oai/gpt-5',
      previous_response_id: second.id,
      input: 'third question',
    });
    const fromMemory = sent(berth.upstreams.oai.requests.length - 1);
    for (const text of [
      'first question',
      'first answer',
      'second question',
      'second answer',
      'third question',
    ])
      expect(fromMemory).toContain(text);

    berth = await berth.restart();
    berth.upstreams.oai.script({ text: 'again' });
    await berth.client().responses.create({
      model: 'oai/gpt-5',
      previous_response_id: second.id,
      input: 'third question',
    });
    expect(sent(berth.upstreams.oai.requests.length - 1)).toBe(fromMemory);

    // Deleting the first response cuts the chain there, whether the chain was remembered or not.
    berth.upstreams.oai.script({ text: 'fourth answer' }, { text: 'fifth answer' });
    const fourth = await berth.client().responses.create({
      model: 'oai/gpt-5',
      previous_response_id: third.id,
      input: 'fourth question',
    });
    await berth.client().responses.delete(first.id);
    await berth.client().responses.create({
      model: 'oai/gpt-5',
      previous_response_id: fourth.id,
      input: 'fifth question',
    });
    const afterDelete = sent(berth.upstreams.oai.requests.length - 1);
    expect(afterDelete).not.toContain('first question');
    expect(afterDelete).toContain('fourth answer');
  });
});
