import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
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

type Item = Record<string, unknown>;
const claude = 'claude/claude-sonnet-5-5';
const thinking = 'The user wants a prime; 7 will do.';
/** What the fake Anthropic upstream signs a thinking block with (see fake-anthropic-upstream.ts). */
const signature = Buffer.from(`fake-signature:${thinking}`).toString('base64');

/** A stateless first turn on Claude with thinking; returns its output as the client will resend it. */
async function firstTurn(stream: boolean): Promise<Item[]> {
  berth.upstreams.claude.script({ reasoning: thinking, text: 'Seven.' });
  const request = {
    model: claude,
    input: 'Name a prime.',
    store: false,
    reasoning: { effort: 'low' as const, summary: 'auto' as const },
    include: ['reasoning.encrypted_content' as const],
  };
  if (!stream) return (await client.responses.create(request)).output as unknown as Item[];
  // The raw events, not the SDK's stream helper: the helper adds client-side fields (`parsed`) to the
  // items, which no server accepts back.
  for await (const event of await client.responses.create({ ...request, stream: true })) {
    if (event.type === 'response.completed') return event.response.output as unknown as Item[];
  }
  throw new Error('the stream ended without response.completed');
}

/** The Anthropic request's assistant turn that carries the thinking block back. */
function sentThinking(): Item[] {
  const body = berth.upstreams.claude.requests.at(-1)?.body as { messages: { content: unknown }[] };
  return body.messages.flatMap((message) =>
    Array.isArray(message.content)
      ? (message.content as Item[]).filter((block) => String(block.type).includes('thinking'))
      : [],
  );
}

describe('stateless clients keep Anthropic reasoning going through sealed encrypted_content', () => {
  it.each([false, true])(
    'seals the thinking block and opens it on the next turn (stream: %s)',
    async (stream) => {
      const output = await firstTurn(stream);
      const reasoning = output.find((item) => item.type === 'reasoning');
      expect(reasoning?.summary).toEqual([{ type: 'summary_text', text: thinking }]);
      const sealed = String(reasoning?.encrypted_content);
      expect(sealed).toMatch(/^brsn1\./);
      // Neither the signature nor the thinking can be read from the blob.
      expect(sealed).not.toContain(signature);
      expect(Buffer.from(sealed.slice(6), 'base64url').toString('latin1')).not.toContain('prime');

      berth.upstreams.claude.script({ text: 'Eleven.' });
      const next = await client.responses.create({
        model: claude,
        store: false,
        reasoning: { effort: 'low', summary: 'auto' },
        input: [
          { role: 'user', content: 'Name a prime.' },
          ...(output as unknown as ResponseInputItem[]),
          { role: 'user', content: 'Another one?' },
        ],
      });
      expect(next.output_text).toBe('Eleven.');
      expect(sentThinking()).toEqual([{ type: 'thinking', thinking, signature }]);
    },
  );

  it('sends the thinking as the model wrote it even when the client edited the summary', async () => {
    const output = await firstTurn(false);
    const edited = output.map((item) =>
      item.type === 'reasoning' ? { ...item, summary: [{ type: 'summary_text', text: 'edited' }] } : item,
    );
    berth.upstreams.claude.script({ text: 'ok' });
    await client.responses.create({
      model: claude,
      store: false,
      reasoning: { effort: 'low', summary: 'auto' },
      input: [{ role: 'user', content: 'Name a prime.' }, ...(edited as unknown as ResponseInputItem[])],
    });
    expect(sentThinking()).toEqual([{ type: 'thinking', thinking, signature }]);
  });

  it('refuses a changed blob with a 400 naming the item, and calls no model', async () => {
    const output = await firstTurn(false);
    const index = output.findIndex((item) => item.type === 'reasoning');
    const blob = String(output[index]?.encrypted_content);
    const flipped = blob.slice(0, -2) + (blob.at(-2) === 'A' ? 'B' : 'A') + blob.at(-1);
    const forged = output.map((item, at) => (at === index ? { ...item, encrypted_content: flipped } : item));
    const before = berth.upstreams.claude.requests.length;
    const failure = await client.responses
      .create({ model: claude, store: false, input: forged as unknown as ResponseInputItem[] })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      status: 400,
      code: 'invalid_value',
      param: `input[${index}].encrypted_content`,
    });
    expect(berth.upstreams.claude.requests.length).toBe(before);
  });

  it('leaves Claude reasoning out when the history moves to another provider kind', async () => {
    const output = await firstTurn(false);
    berth.upstreams.oai.script({ text: 'From OpenAI.' });
    const next = await client.responses.create({
      model: 'oai/gpt-5',
      store: false,
      input: [{ role: 'user', content: 'Name a prime.' }, ...(output as unknown as ResponseInputItem[])],
    });
    expect(next.output_text).toBe('From OpenAI.');
    const sent = berth.upstreams.oai.requests.at(-1)?.body as { input: Item[] };
    expect(sent.input.filter((item) => item.type === 'reasoning')).toEqual([]);
  });

  it("passes OpenAI's own encrypted_content through unchanged", async () => {
    berth.upstreams.oai.script({ reasoning: 'Thinking in OpenAI.', text: 'Done.' });
    const first = await client.responses.create({
      model: 'oai/gpt-5',
      input: 'Go',
      store: false,
      reasoning: { effort: 'low', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
    });
    const reasoning = first.output.find((item) => item.type === 'reasoning');
    expect(reasoning?.encrypted_content).toMatch(/^gAAAAA/);
    berth.upstreams.oai.script({ text: 'Again.' });
    await client.responses.create({
      model: 'oai/gpt-5',
      store: false,
      reasoning: { effort: 'low' },
      input: [{ role: 'user', content: 'Go' }, ...(first.output as unknown as ResponseInputItem[])],
    });
    const sent = berth.upstreams.oai.requests.at(-1)?.body as { input: Item[] };
    expect(sent.input.find((item) => item.type === 'reasoning')?.encrypted_content).toBe(
      reasoning?.encrypted_content,
    );
  });

  it('keeps chains of stored responses working: previous_response_id brings the thinking back', async () => {
    berth.upstreams.claude.script({ reasoning: thinking, text: 'Seven.' }, { text: 'Eleven.' });
    const first = await client.responses.create({
      model: claude,
      input: 'Name a prime.',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    await client.responses.create({
      model: claude,
      previous_response_id: first.id,
      input: 'Another one?',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    expect(sentThinking()).toEqual([{ type: 'thinking', thinking, signature }]);
  });
});
