import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { startTestBerth, testProviders, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
beforeAll(async () => {
  berth = await startTestBerth();
});
afterAll(async () => {
  await berth.close();
});

/**
 * The Response fields a client may rely on: those OpenAI's `Response` type marks required (less
 * `output_text`, which the SDK computes) and those the Open Responses schema's `ResponseResource`
 * marks required.
 */
const requiredResponseFields = [
  ...['id', 'object', 'created_at', 'completed_at', 'status', 'incomplete_details', 'model'],
  ...['previous_response_id', 'instructions', 'output', 'error', 'tools', 'tool_choice', 'truncation'],
  ...['parallel_tool_calls', 'text', 'top_p', 'presence_penalty', 'frequency_penalty', 'top_logprobs'],
  ...['temperature', 'reasoning', 'user', 'usage', 'max_output_tokens', 'max_tool_calls', 'store'],
  ...['background', 'service_tier', 'metadata', 'safety_identifier', 'prompt_cache_key'],
  'access_programs',
];

function missingFields(response: unknown): string[] {
  const body = response as Record<string, unknown>;
  return requiredResponseFields.filter((field) => !Object.hasOwn(body, field));
}

/** Every create-request field of the newest `openai` types, plus those real clients send beside them. */
function everyField(model: string) {
  return {
    model,
    input: 'Hello',
    instructions: 'Be brief.',
    store: true,
    metadata: { team: 'wire' },
    max_output_tokens: 200,
    max_tool_calls: 4,
    parallel_tool_calls: false,
    tool_choice: 'auto',
    tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' }, strict: false }],
    text: { format: { type: 'text' }, verbosity: 'low' },
    reasoning: { effort: 'low', summary: 'auto' },
    include: ['reasoning.encrypted_content'],
    stream_options: { include_obfuscation: false },
    user: 'user-7',
    safety_identifier: 'hashed-user-7',
    prompt_cache_key: 'session-7',
    service_tier: 'auto',
    truncation: 'disabled',
    top_logprobs: 0,
    background: false,
    presence_penalty: 0.5,
    frequency_penalty: -0.25,
    client_metadata: { 'x-client': 'harness', session: 's-7' },
  };
}

describe.each(testProviders)('the whole request surface through the $kind provider', ({ name, model }) => {
  // Anthropic's current Messages API refuses sampling parameters, so they stay out of its request.
  const sampling = name === 'claude' ? {} : { temperature: 0.2, top_p: 0.9 };

  it('accepts every field, echoes what OpenAI echoes and keeps client_metadata out of the response', async () => {
    berth.upstreams[name].script({ text: 'Hi there.' });
    const response = await berth.client().responses.create({ ...everyField(model), ...sampling } as never);
    expect(response.status).toBe('completed');
    expect(missingFields(response)).toEqual([]);
    expect(response).toMatchObject({
      presence_penalty: 0.5,
      frequency_penalty: -0.25,
      user: 'user-7',
      safety_identifier: 'hashed-user-7',
      prompt_cache_key: 'session-7',
      parallel_tool_calls: false,
      max_tool_calls: 4,
      text: { format: { type: 'text' }, verbosity: 'low' },
      metadata: { team: 'wire' },
    });
    expect(response).not.toHaveProperty('client_metadata');
    const retrieved = await berth.client().responses.retrieve(response.id);
    expect(missingFields(retrieved)).toEqual([]);
    expect(retrieved).toEqual(response);
  });

  it('carries every required field in each streamed event that holds the response', async () => {
    berth.upstreams[name].script({ text: 'Streamed.' });
    const stream = await berth.client().responses.create({ model, input: 'Hi', stream: true });
    const carriers: string[] = [];
    for await (const event of stream) {
      if (!('response' in event)) continue;
      carriers.push(event.type);
      expect({ type: event.type, missing: missingFields(event.response) }).toEqual({
        type: event.type,
        missing: [],
      });
    }
    expect(carriers).toEqual(['response.created', 'response.in_progress', 'response.completed']);
  });
});

describe('what reaches each upstream', () => {
  it('sends verbosity and the end-user identifiers to OpenAI, and the penalties to Chat Completions only', async () => {
    berth.upstreams.oai.script({ text: 'a' });
    berth.upstreams.local.script({ text: 'b' });
    berth.upstreams.claude.script({ text: 'c' });
    const fields = {
      input: 'Hi',
      text: { verbosity: 'high' },
      user: 'user-8',
      safety_identifier: 'hashed-8',
      presence_penalty: 1,
      frequency_penalty: 0.5,
      client_metadata: { session: 's-8' },
    };
    for (const model of ['oai/gpt-5', 'local/llama3.2', 'claude/claude-sonnet-5-5']) {
      await berth.client().responses.create({ model, ...fields } as never);
    }
    const openai = berth.upstreams.oai.requests.at(-1)?.body as Record<string, unknown>;
    expect(openai).toMatchObject({
      text: { verbosity: 'high' },
      user: 'user-8',
      safety_identifier: 'hashed-8',
    });
    expect(openai).not.toHaveProperty('presence_penalty');
    expect(openai).not.toHaveProperty('client_metadata');
    const chat = berth.upstreams.local.requests.at(-1)?.body as Record<string, unknown>;
    expect(chat).toMatchObject({ presence_penalty: 1, frequency_penalty: 0.5 });
    expect(chat).not.toHaveProperty('client_metadata');
    const anthropic = berth.upstreams.claude.requests.at(-1)?.body as Record<string, unknown>;
    for (const field of ['presence_penalty', 'frequency_penalty', 'client_metadata', 'user']) {
      expect(anthropic).not.toHaveProperty(field);
    }
  });

  it('validates the new fields by type, naming the parameter, and records nothing', async () => {
    const client = berth.client();
    const before = berth.upstreams.oai.requests.length;
    for (const [field, value] of [
      ['presence_penalty', 3],
      ['frequency_penalty', 'high'],
      ['client_metadata', { session: 7 }],
      ['client_metadata', 'harness'],
    ] as const) {
      const failure = await client.responses
        .create({ model: 'oai/gpt-5', input: 'x', [field]: value } as never)
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 400, error: { type: 'invalid_request_error' } });
      expect((failure as { param: string }).param).toMatch(new RegExp(`^${field}`));
    }
    expect(berth.upstreams.oai.requests.length).toBe(before);
  });
});

describe('how each field is translated', () => {
  const last = (name: 'oai' | 'local' | 'claude') =>
    berth.upstreams[name].requests.at(-1)?.body as Record<string, unknown>;

  it('sends the output limit, parallelism and reasoning in each protocol', async () => {
    const fields = {
      input: 'Hi',
      max_output_tokens: 2000,
      parallel_tool_calls: false,
      reasoning: { effort: 'low' },
      tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }],
    };
    for (const model of ['oai/gpt-5', 'local/llama3.2', 'claude/claude-sonnet-5-5']) {
      await berth.client().responses.create({ model, ...fields } as never);
    }
    expect(last('oai')).toMatchObject({
      max_output_tokens: 2000,
      parallel_tool_calls: false,
      reasoning: { effort: 'low' },
    });
    expect(last('local')).toMatchObject({
      max_tokens: 2000,
      parallel_tool_calls: false,
      reasoning_effort: 'low',
    });
    expect(last('claude')).toMatchObject({
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
  });

  it('echoes OpenAI-service settings without sending them', async () => {
    berth.upstreams.oai.script({ text: 'ok' });
    const response = await berth.client().responses.create({
      model: 'oai/gpt-5',
      input: 'Hi',
      service_tier: 'flex',
      truncation: 'auto',
      top_logprobs: 3,
      prompt_cache_options: {},
    } as never);
    expect(response).toMatchObject({ service_tier: 'default', truncation: 'auto', top_logprobs: 3 });
    for (const field of ['service_tier', 'truncation', 'top_logprobs', 'prompt_cache_options']) {
      expect(last('oai')).not.toHaveProperty(field);
    }
  });

  it('answers 400 for what a provider kind cannot do, naming the field, before calling it', async () => {
    const client = berth.client();
    const before = berth.upstreams.claude.requests.length;
    for (const [body, param] of [
      [{ model: 'claude/claude-sonnet-5-5', input: 'x', temperature: 0.5 }, 'temperature'],
      [{ model: 'claude/claude-sonnet-5-5', input: 'x', top_p: 0.5 }, 'top_p'],
      [
        { model: 'claude/claude-sonnet-5-5', input: 'x', text: { format: { type: 'json_object' } } },
        'text.format',
      ],
      [{ model: 'oai/gpt-5', input: 'x', prompt: { id: 'pmpt_1' } }, 'prompt'],
    ] as const) {
      const failure = await client.responses.create(body as never).catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 400, param });
    }
    expect(berth.upstreams.claude.requests.length).toBe(before);
  });
});

describe('requests.unknownParameters', () => {
  it('rejects a parameter OpenAI does not define by default, naming it', async () => {
    const failure = await berth
      .client()
      .responses.create({ model: 'oai/gpt-5', input: 'x', made_up_flag: true } as never)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 400, code: 'unknown_parameter', param: 'made_up_flag' });
  });

  it('drops unknown parameters, top-level and nested, when set to ignore', async () => {
    const lenient = await startTestBerth({ requests: { unknownParameters: 'ignore' } });
    try {
      lenient.upstreams.oai.script({ text: 'Served anyway.' });
      const response = await lenient.client().responses.create({
        model: 'oai/gpt-5',
        input: 'x',
        made_up_flag: true,
        reasoning: { effort: 'low', future_knob: 3 },
      } as never);
      expect(response.output_text).toBe('Served anyway.');
      const sent = lenient.upstreams.oai.requests.at(-1)?.body as Record<string, unknown>;
      expect(sent).not.toHaveProperty('made_up_flag');
      expect(sent.reasoning).toEqual({ effort: 'low' });
      // Known parameters are still validated by type.
      const failure = await lenient
        .client()
        .responses.create({ model: 'oai/gpt-5', input: 'x', temperature: 'warm', extra: 1 } as never)
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 400, param: 'temperature' });
    } finally {
      await lenient.close();
    }
  });
});

describe('the response over WebSocket', () => {
  it('carries every required field in each response event', async () => {
    const socket = new ResponsesWS(berth.client());
    const events: { type: string; response?: unknown }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on('event', (event) => {
        events.push(event);
        if (event.type === 'response.completed') resolve();
      });
      socket.on('error', reject);
    });
    berth.upstreams.oai.script({ text: 'Over the socket.' });
    socket.send({ type: 'response.create', model: 'oai/gpt-5', input: 'hi', store: false } as never);
    await done;
    socket.close();
    const carriers = events.filter((event) => event.response !== undefined);
    expect(carriers.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.completed',
    ]);
    for (const event of carriers) expect(missingFields(event.response)).toEqual([]);
  });
});
