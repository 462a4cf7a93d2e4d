import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { chunkText, type ScriptedTurn } from '../../test/support/scripted-turn.js';

/*
 * Open models on Chat Completions servers send their raw reasoning (`reasoning_content` from vLLM,
 * DeepSeek and llama.cpp, `reasoning` from Ollama and OpenRouter). Clients see it as OpenAI shows a
 * model's raw reasoning: a `reasoning` item with `reasoning_text` content, streamed with
 * `response.reasoning_text.*`; and the model gets it back on the assistant message it wrote.
 */

const model = 'local/llama3.2';
const thought = 'Six sevens are forty-two.';
const answer = 'It is 42.';
const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
  strict: false,
};

let berth: TestBerth;
let client: OpenAI;
beforeAll(async () => {
  berth = await startTestBerth();
  client = berth.client();
});
afterAll(async () => {
  await berth.close();
});

const upstream = () => berth.upstreams.local;
/** The messages of the last Chat Completions request Berth made. */
const sentMessages = (): unknown[] =>
  (upstream().requests.at(-1)?.body as { messages: unknown[] } | undefined)?.messages ?? [];

describe.each(['reasoning_content', 'reasoning'] as const)('raw reasoning sent as `%s`', (field) => {
  const turn = (script: ScriptedTurn): ScriptedTurn => ({ ...script, reasoningField: field });

  it('streams a reasoning item with reasoning_text content, event by event, then the answer', async () => {
    upstream().script(turn({ reasoning: thought, text: answer }));

    const stream = client.responses.stream({ model, input: 'What is six times seven?' });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();

    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const id = final.output[0]?.id ?? '';
    expect(id).toMatch(/^rs_/);
    const item = {
      id,
      type: 'reasoning',
      summary: [],
      content: [{ type: 'reasoning_text', text: thought }],
    };
    const at = { item_id: id, output_index: 0, content_index: 0 };
    const deltas = chunkText(thought);
    const afterDeltas = 4 + deltas.length;
    expect(events.slice(0, afterDeltas + 3)).toEqual([
      expect.objectContaining({ type: 'response.created', sequence_number: 0 }),
      expect.objectContaining({ type: 'response.in_progress', sequence_number: 1 }),
      {
        type: 'response.output_item.added',
        sequence_number: 2,
        output_index: 0,
        item: { id, type: 'reasoning', summary: [] },
      },
      {
        type: 'response.content_part.added',
        sequence_number: 3,
        ...at,
        part: { type: 'reasoning_text', text: '' },
      },
      ...deltas.map((delta, index) => ({
        type: 'response.reasoning_text.delta',
        sequence_number: 4 + index,
        ...at,
        delta,
      })),
      { type: 'response.reasoning_text.done', sequence_number: afterDeltas, ...at, text: thought },
      {
        type: 'response.content_part.done',
        sequence_number: afterDeltas + 1,
        ...at,
        part: { type: 'reasoning_text', text: thought },
      },
      { type: 'response.output_item.done', sequence_number: afterDeltas + 2, output_index: 0, item },
    ]);
    // The answer follows as its own message, at the next output index.
    expect(events.slice(afterDeltas + 3).map((event) => event.type)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      ...chunkText(answer).map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[afterDeltas + 3]).toMatchObject({ output_index: 1, item: { type: 'message' } });

    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.output[0]).toEqual(item);
    expect(final.output[0]).toEqual(item);
    expect(final.output_text).toBe(answer);
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    const stored = await client.responses.retrieve(final.id);
    expect(stored.output[0]).toEqual(item);
    expect(stored.output).toEqual(completed.response.output);
  });

  it('returns the same item without streaming, and GET shows it', async () => {
    upstream().script(turn({ reasoning: thought, text: answer }));

    const response = await client.responses.create({ model, input: 'What is six times seven?' });

    const item = {
      id: expect.stringMatching(/^rs_/) as string,
      type: 'reasoning',
      summary: [],
      content: [{ type: 'reasoning_text', text: thought }],
    };
    expect(response.output).toHaveLength(2);
    expect(response.output[0]).toEqual(item);
    expect(response.output_text).toBe(answer);
    const stored = await client.responses.retrieve(response.id);
    expect(stored.output).toEqual(response.output);
  });

  it('sends the reasoning back as reasoning_content on a chained turn, beside its text', async () => {
    upstream().script(turn({ reasoning: thought, text: answer }), { text: 'It is 84.' });

    const first = await client.responses.create({ model, input: 'What is six times seven?' });
    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: 'And doubled?',
    });

    expect(second.output_text).toBe('It is 84.');
    const messages = sentMessages();
    expect(messages).toHaveLength(3);
    expect(messages[1]).toEqual({ role: 'assistant', content: answer, reasoning_content: thought });
  });
});

describe('raw reasoning before a tool call', () => {
  const reasoning = 'I need the weather in Oslo.';
  const callTurn: ScriptedTurn = {
    reasoning,
    toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }],
  };

  /** The assistant message of the call's turn, as the upstream must receive it next time. */
  const assistantWithCall = (callId: string) => ({
    role: 'assistant',
    content: null,
    reasoning_content: reasoning,
    tool_calls: [
      { id: callId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ],
  });

  it('goes back with the tool calls it led to, chained with previous_response_id', async () => {
    upstream().script(callTurn, { text: 'It is raining.' });

    const first = await client.responses.create({ model, input: 'Weather in Oslo?', tools: [weatherTool] });
    expect(first.output.map((item) => item.type)).toEqual(['reasoning', 'function_call']);
    const call = first.output[1];
    if (call?.type !== 'function_call') throw new Error('no function call');
    await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Rain' }],
      tools: [weatherTool],
    });

    const messages = sentMessages();
    expect(messages).toHaveLength(3);
    expect(messages[1]).toEqual(assistantWithCall(call.call_id));
    expect(messages[2]).toEqual({ role: 'tool', tool_call_id: call.call_id, content: 'Rain' });
  });

  it('goes back when a store:false client resends the items itself', async () => {
    upstream().script(callTurn, { text: 'It is raining.' });

    const ask: ResponseInputItem = { role: 'user', content: 'Weather in Oslo?' };
    const first = await client.responses.create({
      model,
      input: [ask],
      tools: [weatherTool],
      store: false,
    });
    const call = first.output[1];
    if (call?.type !== 'function_call') throw new Error('no function call');
    await client.responses.create({
      model,
      input: [
        ask,
        ...(first.output as ResponseInputItem[]),
        { type: 'function_call_output', call_id: call.call_id, output: 'Rain' },
      ],
      tools: [weatherTool],
      store: false,
    });

    const messages = sentMessages();
    expect(messages).toHaveLength(3);
    expect(messages[1]).toEqual(assistantWithCall(call.call_id));
  });
});
