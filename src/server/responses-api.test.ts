import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startTestBerth, testProviders, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
let client: OpenAI;
beforeAll(async () => {
  berth = await startTestBerth();
  client = berth.client();
});
afterAll(async () => {
  await berth.close();
});

describe.each(testProviders)('Responses API through the $kind provider', ({ name, model }) => {
  const upstream = () => berth.upstreams[name];

  it('creates, retrieves and deletes a response', async () => {
    upstream().script({ text: 'Hello from the model.', usage: { input: 11, output: 5 } });
    const response = await client.responses.create({ model, input: 'Say hello', instructions: 'Be brief.' });
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('Hello from the model.');
    expect(response.model).toBe(model);
    expect(response.instructions).toBe('Be brief.');
    expect(response.usage).toMatchObject({ input_tokens: 11, output_tokens: 5, total_tokens: 16 });
    const message = response.output[0];
    expect(message).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect((message as { id: string }).id).toMatch(/^msg_/);

    const retrieved = await client.responses.retrieve(response.id);
    expect(retrieved).toEqual(response);

    await client.responses.delete(response.id);
    await expect(client.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams every event in order, accepted by the official stream helper', async () => {
    upstream().script({ text: 'Streaming works fine.', usage: { input: 3, output: 4 } });
    const stream = client.responses.stream({ model, input: 'Stream please' });
    const types: string[] = [];
    const sequence: number[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(sequence).toEqual(sequence.map((_, index) => index));
    expect(types[0]).toBe('response.created');
    expect(types[1]).toBe('response.in_progress');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.content_part.done');
    expect(deltas).toBe('Streaming works fine.');
    expect(final.output_text).toBe('Streaming works fine.');
    const stored = await client.responses.retrieve(final.id);
    // The stream helper adds a client-side `parsed` field; everything the server sent must match.
    expect(final.output).toMatchObject(stored.output);
  });

  it('streams reasoning, text and a tool call in one turn through the stream helper', async () => {
    upstream().script({
      reasoning: 'The user wants the weather; I should call the tool.',
      text: 'Let me check.',
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }],
    });
    const stream = client.responses.stream({
      model,
      input: 'Weather in Oslo?',
      reasoning: { effort: 'low', summary: 'auto' },
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: false }],
    });
    const final = await stream.finalResponse();
    const types = final.output.map((item) => item.type);
    expect(types).toContain('function_call');
    expect(types).toContain('message');
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Oslo"}', status: 'completed' });
    const stored = await client.responses.retrieve(final.id);
    expect(final.output).toMatchObject(stored.output);
  });

  it('chains with previous_response_id: prior input and output are context, prior instructions are not', async () => {
    upstream().script({ text: 'First answer.' }, { text: 'Second answer.' });
    const first = await client.responses.create({
      model,
      input: 'First question',
      instructions: 'OLD-INSTRUCTIONS',
    });
    const before = upstream().requests.length;
    const second = await client.responses.create({
      model,
      input: 'Second question',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toBe('Second answer.');
    const sent = JSON.stringify(upstream().requests[before]?.body);
    expect(sent).toContain('First question');
    expect(sent).toContain('First answer.');
    expect(sent).toContain('Second question');
    expect(sent).not.toContain('OLD-INSTRUCTIONS');
  });

  it('round-trips a client-executed function call', async () => {
    upstream().script(
      { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { text: 'It is sunny in Paris.' },
    );
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        strict: true,
      },
    ];
    const first = await client.responses.create({ model, input: 'Weather in Paris?', tools });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.id).toMatch(/^fc_/);

    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' }],
      tools,
    });
    expect(second.output_text).toBe('It is sunny in Paris.');
    const sent = JSON.stringify(upstream().requests.at(-1)?.body);
    expect(sent).toContain(call.call_id);
    expect(sent).toContain('sunny');
  });

  it('rejects a function_call_output that answers no call', async () => {
    await expect(
      client.responses.create({
        model,
        input: [{ type: 'function_call_output', call_id: 'call_missing', output: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('ends incomplete when the model hits max_output_tokens', async () => {
    upstream().script({ text: 'This is cut', finish: 'length' });
    const response = await client.responses.create({ model, input: 'Long story', max_output_tokens: 16 });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('fails with the upstream status and message preserved', async () => {
    upstream().script({ error: { status: 429, message: 'Slow down, please.', type: 'rate_limit_error' } });
    const error = await client.responses.create({ model, input: 'Hi' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 429 });
    expect(String((error as Error).message)).toContain('Slow down, please.');

    upstream().script({ error: { status: 500, message: 'Upstream broke.' } });
    const stream = await client.responses.create({ model, input: 'Hi', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1);
    expect(last?.type).toBe('response.failed');
    if (last?.type !== 'response.failed') throw new Error('not failed');
    expect(last.response.error?.message).toContain('Upstream broke.');
  });

  it('pages input_items like OpenAI lists', async () => {
    const input = Array.from({ length: 5 }, (_, index) => ({
      role: 'user' as const,
      content: `message ${index}`,
    }));
    const response = await client.responses.create({ model, input });
    const seen: string[] = [];
    for await (const item of client.responses.inputItems.list(response.id, { limit: 2 })) {
      if (item.type === 'message' && item.content[0]?.type === 'input_text') seen.push(item.content[0].text);
    }
    expect(seen).toEqual(['message 4', 'message 3', 'message 2', 'message 1', 'message 0']);
    const ascending = await client.responses.inputItems.list(response.id, { order: 'asc', limit: 3 });
    expect(ascending.data).toHaveLength(3);
    expect(ascending.has_more).toBe(true);
  });

  it('counts input tokens with the provider', async () => {
    const counted = await client.responses.inputTokens.count({ model, input: 'How many tokens is this?' });
    expect(counted.object).toBe('response.input_tokens');
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it('lists the model and answers 404 for one the upstream does not list', async () => {
    const models = await client.models.list();
    expect(models.data.map((entry) => entry.id)).toContain(model);
    await expect(client.models.retrieve(model)).resolves.toMatchObject({ id: model, owned_by: name });
    await expect(client.models.retrieve(`${name}/no-such-model`)).rejects.toMatchObject({ status: 404 });
  });

  it('never writes a store:false response, and chaining to one is previous_response_not_found', async () => {
    const response = await client.responses.create({ model, input: 'Ephemeral', store: false });
    expect((response as { store?: boolean }).store).toBe(false);
    await expect(client.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      client.responses.create({ model, input: 'next', previous_response_id: response.id }),
    ).rejects.toMatchObject({ status: 404, code: 'previous_response_not_found' });
  });
});
