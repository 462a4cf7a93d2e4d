import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicUpstream } from '../../../test/support/fake-anthropic-upstream.js';
import type { FakeUpstream } from '../../../test/support/scripted-turn.js';
import { modelRequest } from '../../../test/support/model-request-fixture.js';
import type { ModelProvider, ModelRequest } from '../model-provider.js';
import { createAnthropicProvider } from './anthropic-provider.js';

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return modelRequest({ model: 'claude-sonnet-5-5', ...overrides });
}

const signal = new AbortController().signal;
const tool = (name: string) => ({ type: 'function' as const, name, parameters: null, strict: null });

describe('building Anthropic Messages requests', () => {
  let upstream: FakeUpstream;
  let provider: ModelProvider;

  beforeAll(async () => {
    upstream = await startFakeAnthropicUpstream();
    provider = createAnthropicProvider({
      name: 'anthropic',
      baseURL: upstream.baseURL,
      apiKey: 'k',
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await upstream.close();
  });

  async function sentBody(overrides: Partial<ModelRequest>): Promise<Record<string, unknown>> {
    await provider.complete(request(overrides), signal);
    return upstream.requests.at(-1)?.body as Record<string, unknown>;
  }

  it.each([
    ['auto', null, undefined],
    ['auto', false, { type: 'auto', disable_parallel_tool_use: true }],
    ['required', null, { type: 'any' }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
    ['none', false, { type: 'none' }],
    [{ type: 'function', name: 'b' }, null, { type: 'tool', name: 'b' }],
  ] as const)(
    'maps tool_choice %j with parallel_tool_calls %j',
    async (toolChoice, parallelToolCalls, expected) => {
      const body = await sentBody({ tools: [tool('a'), tool('b')], toolChoice, parallelToolCalls });
      expect(body['tool_choice']).toEqual(expected);
      expect(body['tools']).toEqual([
        { name: 'a', input_schema: { type: 'object', properties: {} } },
        { name: 'b', input_schema: { type: 'object', properties: {} } },
      ]);
    },
  );

  it('narrows the tools to an allowed_tools choice', async () => {
    const body = await sentBody({
      tools: [tool('a'), tool('b'), tool('c')],
      toolChoice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'c' }] },
    });
    expect(body['tools']).toEqual([{ name: 'c', input_schema: { type: 'object', properties: {} } }]);
    expect(body['tool_choice']).toEqual({ type: 'any' });
  });

  it('offers the bash tool only when an allowed_tools choice lists the shell', async () => {
    const allowed = (tools: { type: string; name?: string }[]) => ({
      type: 'allowed_tools' as const,
      mode: 'auto' as const,
      tools,
    });
    const withShell = await sentBody({
      tools: [tool('a'), tool('b')],
      shellTool: true,
      toolChoice: allowed([{ type: 'shell' }, { type: 'function', name: 'a' }]),
    });
    expect(withShell['tools']).toEqual([
      { name: 'a', input_schema: { type: 'object', properties: {} } },
      { type: 'bash_20250124', name: 'bash' },
    ]);

    const withoutShell = await sentBody({
      tools: [tool('a')],
      shellTool: true,
      toolChoice: allowed([{ type: 'function', name: 'a' }]),
    });
    expect(withoutShell['tools']).toEqual([{ name: 'a', input_schema: { type: 'object', properties: {} } }]);
  });

  it('sends the bash tool alone when the shell is the only tool', async () => {
    const body = await sentBody({ shellTool: true, toolChoice: 'required' });
    expect(body['tools']).toEqual([{ type: 'bash_20250124', name: 'bash' }]);
    expect(body['tool_choice']).toEqual({ type: 'any' });
  });

  it('sends no tool_choice without tools', async () => {
    const body = await sentBody({ toolChoice: 'required' });
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
  });

  it.each([
    ['low', null, 1024, 5120],
    ['medium', null, 4096, 8192],
    ['high', null, 16_000, 20_096],
    ['high', 8000, 7999, 8000],
  ] as const)(
    'maps effort %s (max_output_tokens %j) to a thinking budget',
    async (effort, max, budget, maxTokens) => {
      const body = await sentBody({ reasoning: { effort }, maxOutputTokens: max });
      expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: budget });
      expect(body['max_tokens']).toBe(maxTokens);
    },
  );

  it('asks for summarized thinking when the client wants a reasoning summary', async () => {
    const body = await sentBody({ reasoning: { effort: 'low', summary: 'auto' } });
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 1024, display: 'summarized' });
  });

  it.each([
    ['minimal', null],
    ['none', null],
    ['high', 1000],
  ] as const)('leaves thinking off for effort %s (max_output_tokens %j)', async (effort, max) => {
    const body = await sentBody({ reasoning: { effort }, maxOutputTokens: max });
    expect(body).not.toHaveProperty('thinking');
    expect(body['max_tokens']).toBe(max ?? 4096);
  });

  it('maps a json_schema text format onto native structured outputs', async () => {
    const schema = {
      type: 'object',
      properties: { answer: { type: 'number' } },
      additionalProperties: false,
    };
    const body = await sentBody({
      textFormat: { type: 'json_schema', name: 'answer', schema, strict: true },
    });
    expect(body['output_config']).toEqual({ format: { type: 'json_schema', schema } });
  });

  it('rejects top_p, which API version 2026-10-21 removed', async () => {
    await expect(provider.complete(request({ topP: 0.9 }), signal)).rejects.toMatchObject({
      status: 400,
      code: 'unsupported_parameter',
      param: 'top_p',
    });
  });

  it('marks cache breakpoints on the tools, the instructions and the conversation', async () => {
    const body = await sentBody({
      instructions: 'Be brief.',
      tools: [tool('a')],
      promptCache: { key: 'session-1', retention: '24h' },
    });
    const oneHour = { type: 'ephemeral', ttl: '1h' };
    expect(body['tools']).toEqual([
      { name: 'a', input_schema: { type: 'object', properties: {} }, cache_control: oneHour },
    ]);
    expect(body['system']).toEqual([{ type: 'text', text: 'Be brief.', cache_control: oneHour }]);
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: oneHour }] },
    ]);
    expect(body).not.toHaveProperty('prompt_cache_key');
  });

  it('marks nothing for a provider configured with promptCaching off', async () => {
    const uncached = createAnthropicProvider({
      name: 'anthropic',
      baseURL: upstream.baseURL,
      apiKey: 'k',
      maxRetries: 0,
      promptCaching: false,
    });
    await uncached.complete(
      request({ instructions: 'Be brief.', promptCache: { key: null, retention: null } }),
      signal,
    );
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    expect(JSON.stringify(upstream.requests.at(-1)?.body)).not.toContain('cache_control');
  });
});
