import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAIResponsesUpstream } from './fake-openai-responses-upstream.js';
import type { FakeUpstream } from './scripted-turn.js';
import { openableGate } from './openable-gate.js';

let upstream: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAIResponsesUpstream();
  client = new OpenAI({ baseURL: upstream.baseURL, apiKey: 'sk-test', maxRetries: 0 });
});

afterAll(async () => {
  await upstream.close();
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${upstream.baseURL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('fake OpenAI Responses upstream', () => {
  it('streams a custom tool call as custom_tool_call_input events and a custom_tool_call item', async () => {
    upstream.script({ customCalls: [{ name: 'calculator', input: 'add(1, 2)' }], chunkSize: 4 });
    const stream = await client.responses.create({ model: 'gpt-5', input: 'Add', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2]).toMatchObject({ item: { type: 'custom_tool_call', status: 'in_progress', input: '' } });
    expect(events[6]).toMatchObject({ input: 'add(1, 2)' });
    const last = events.at(-1);
    expect(last?.type === 'response.completed' && last.response.output).toEqual([
      {
        id: expect.stringMatching(/^ctc_/) as string,
        type: 'custom_tool_call',
        status: 'completed',
        call_id: expect.stringMatching(/^call_/) as string,
        input: 'add(1, 2)',
        name: 'calculator',
      },
    ]);
  });

  it('sends apply_patch and local_shell calls as whole native items', async () => {
    upstream.script({
      applyPatchCalls: [{ type: 'delete_file', path: 'old.txt' }],
      localShellCalls: [{ command: ['ls'], workdir: '/repo' }],
    });
    const stream = await client.responses.create({ model: 'gpt-5', input: 'Tidy', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.output_item.done',
      'response.output_item.added',
      'response.output_item.done',
      'response.completed',
    ]);
    const last = events.at(-1);
    expect(last?.type === 'response.completed' && last.response.output).toEqual([
      {
        id: expect.stringMatching(/^apc_/) as string,
        type: 'apply_patch_call',
        status: 'completed',
        call_id: expect.stringMatching(/^call_/) as string,
        operation: { type: 'delete_file', path: 'old.txt' },
      },
      {
        id: expect.stringMatching(/^lsh_/) as string,
        type: 'local_shell_call',
        status: 'completed',
        call_id: expect.stringMatching(/^call_/) as string,
        action: {
          type: 'exec',
          command: ['ls'],
          env: {},
          timeout_ms: null,
          user: null,
          working_directory: '/repo',
        },
      },
    ]);
  });

  it('streams the real event sequence, numbered from 0', async () => {
    upstream.script({
      reasoning: 'Hm.',
      text: 'Hi!',
      toolCalls: [{ name: 'f', arguments: '{}' }],
      chunkSize: 2,
    });
    const stream = await client.responses.create({
      model: 'gpt-5',
      input: 'Hello',
      stream: true,
      include: ['reasoning.encrypted_content'],
    });
    const events = [];
    for await (const event of stream) events.push(event);

    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const last = events.at(-1);
    expect(last?.type === 'response.completed' && last.response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gpt-5',
      output: [
        { type: 'reasoning', encrypted_content: expect.any(String) as string },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi!' }] },
        { type: 'function_call', name: 'f', arguments: '{}', call_id: expect.any(String) as string },
      ],
      usage: { input_tokens: expect.any(Number) as number, total_tokens: expect.any(Number) as number },
    });
  });

  it('streams a shell call as the hosted shell does, without the output Berth adds', async () => {
    upstream.script({ shellCalls: [{ commands: ['echo hi', 'ls'], timeoutMs: 5000 }], chunkSize: 4 });
    const stream = await client.responses.create({
      model: 'gpt-5',
      input: 'List files',
      tools: [{ type: 'shell' }],
      stream: true,
    });
    const events = [];
    for await (const event of stream) events.push(event);

    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.shell_call_command.added',
      'response.shell_call_command.delta',
      'response.shell_call_command.delta',
      'response.shell_call_command.done',
      'response.shell_call_command.added',
      'response.shell_call_command.delta',
      'response.shell_call_command.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2]).toMatchObject({
      item: { type: 'shell_call', status: 'in_progress', action: { commands: [], timeout_ms: 5000 } },
    });
    expect(events[6]).toMatchObject({ command_index: 0, command: 'echo hi' });
    const done = {
      type: 'shell_call',
      status: 'completed',
      call_id: expect.stringMatching(/^call_/) as string,
    };
    expect(events[10]).toMatchObject({
      item: { ...done, action: { commands: ['echo hi', 'ls'], timeout_ms: 5000, max_output_length: null } },
    });
    const last = events.at(-1);
    expect(last?.type === 'response.completed' && last.response.output).toEqual([
      expect.objectContaining({ ...done, id: expect.stringMatching(/^sh_/) as string }),
    ]);
  });

  it('rejects shell items the real API would: unknown fields and outputs of unknown calls', async () => {
    const call = { type: 'shell_call', call_id: 'call_1', action: { commands: ['ls'] } };
    const output = { stdout: '', stderr: '', outcome: { type: 'exit', exit_code: 0 } };
    const answer = async (input: unknown[]) => {
      const reply = await post('/responses', { model: 'gpt-5', input, tools: [{ type: 'shell' }] });
      return { status: reply.status, body: await reply.json() };
    };

    await expect(answer([{ ...call, created_by: 'resp_1' }])).resolves.toMatchObject({
      status: 400,
      body: { error: { param: 'input[0].created_by', code: 'unknown_parameter' } },
    });
    await expect(
      answer([
        call,
        { type: 'shell_call_output', call_id: 'call_1', output: [{ ...output, created_by: 'x' }] },
      ]),
    ).resolves.toMatchObject({ status: 400, body: { error: { param: 'input[1].output[0].created_by' } } });
    await expect(
      answer([{ type: 'shell_call_output', call_id: 'call_2', output: [output] }]),
    ).resolves.toMatchObject({
      status: 400,
      body: { error: { message: 'No tool call found for shell call output with call_id call_2.' } },
    });
    await expect(
      answer([call, { type: 'shell_call_output', call_id: 'call_1', output: [output] }]),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('frames SSE with the event name before the data', async () => {
    const text = await (await post('/responses', { model: 'gpt-5', input: 'Hi', stream: true })).text();
    expect(text.startsWith('event: response.created\ndata: {"type":"response.created"')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('answers without streaming as one Response, incomplete when the script is cut short', async () => {
    upstream.script({ text: 'Cut', finish: 'length' });
    const response = await client.responses.create({ model: 'gpt-5', input: 'Hi' });
    expect(response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'message', status: 'incomplete' }],
    });
  });

  it("answers errors in OpenAI's envelope", async () => {
    upstream.script({ error: { status: 429, message: 'Rate limit reached.', type: 'requests' } });
    const scripted = await post('/responses', { model: 'gpt-5', input: 'Hi' });
    expect(scripted.status).toBe(429);
    await expect(scripted.json()).resolves.toEqual({
      error: { message: 'Rate limit reached.', type: 'requests', param: null, code: null },
    });

    const unknown = await post('/nowhere', {});
    expect(unknown.status).toBe(404);
    await expect(unknown.json()).resolves.toMatchObject({
      error: { message: 'Invalid URL (POST /v1/nowhere)' },
    });

    // Like the real service, it cannot find items by id when nothing is stored.
    const stateless = await post('/responses', {
      model: 'gpt-5',
      store: false,
      input: [{ type: 'item_reference', id: 'x' }],
    });
    expect(stateless.status).toBe(400);
  });

  it('counts a client that leaves while its answer is held back as an aborted request', async () => {
    // The gate is never opened: the answer waits until the client has left, however slow the abort.
    upstream.script({ gate: openableGate().opened });
    const before = upstream.requests.length;
    const controller = new AbortController();
    const pending = client.responses.create({ model: 'gpt-5', input: 'Hi' }, { signal: controller.signal });
    await vi.waitFor(() => expect(upstream.requests.length).toBe(before + 1), { timeout: 60_000 });
    controller.abort();
    await expect(pending).rejects.toThrow();
    await vi.waitFor(() => expect(upstream.abortedRequests).toBe(1), { timeout: 60_000 });
  });

  it('lists models and counts input tokens', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models.length).toBeGreaterThan(0);
    const counted = await client.responses.inputTokens.count({ model: 'gpt-5', input: 'Hello there' });
    expect(counted).toMatchObject({
      object: 'response.input_tokens',
      input_tokens: expect.any(Number) as number,
    });
  });
});
