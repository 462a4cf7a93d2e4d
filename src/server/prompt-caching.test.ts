import { describe, expect, it } from 'vitest';
import type { Response, ResponseFunctionToolCall } from 'openai/resources/responses/responses';
import { breakpointsOf, toolLoopBreakpoints } from '../../test/support/cache-breakpoints.js';
import { useTestBerth } from '../../test/support/use-test-berth.js';

/**
 * Prompt caching on every provider kind, over real HTTP with the official client: the client's cache
 * settings reach the upstreams that take them, Anthropic requests carry Berth's breakpoints, and cache
 * hits come back as `usage.input_tokens_details.cached_tokens`. The fakes emulate each upstream's cache
 * (OpenAI's automatic one, Anthropic's breakpoint one), so hits happen only where the real ones would.
 */

const server = useTestBerth();

type Json = Record<string, unknown>;

/**
 * Instructions long enough to be cached (over 1,024 tokens), distinct per test so that no test reads
 * what another one wrote.
 */
function longInstructions(topic: string): string {
  return `You are the ${topic} assistant. ` + 'Answer in plain words and keep to the facts. '.repeat(150);
}

function lastBody(name: 'oai' | 'local' | 'claude'): Json {
  return server.berth.upstreams[name].requests.at(-1)?.body as Json;
}

function usageOf(response: Response): { input: number; cached: number; written: number } {
  return {
    input: response.usage?.input_tokens ?? -1,
    cached: response.usage?.input_tokens_details.cached_tokens ?? -1,
    written: response.usage?.input_tokens_details.cache_write_tokens ?? -1,
  };
}

function functionCallOf(response: Response): ResponseFunctionToolCall {
  const call = response.output.find((item) => item.type === 'function_call');
  if (call?.type !== 'function_call') throw new Error('the response made no function call');
  return call;
}

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('prompt caching through the openai provider', () => {
  it('passes prompt_cache_key and prompt_cache_retention upstream and echoes them', async () => {
    const response = await server.client.responses.create({
      model: 'oai/gpt-5',
      input: 'Hi',
      prompt_cache_key: 'session-42',
      prompt_cache_retention: '24h',
    });
    expect(lastBody('oai')).toMatchObject({ prompt_cache_key: 'session-42', prompt_cache_retention: '24h' });
    expect(response.prompt_cache_key).toBe('session-42');
    expect(response.prompt_cache_retention).toBe('24h');
  });

  it("accepts the older 'in-memory' spelling and sends the API's 'in_memory'", async () => {
    // The fake upstream rejects 'in-memory' as the real API does, so the request shows the spelling.
    const olderSpelling: string = 'in-memory';
    const response = await server.client.responses.create({
      model: 'oai/gpt-5',
      input: 'Hi',
      prompt_cache_retention: olderSpelling as 'in_memory',
    });
    expect(lastBody('oai')['prompt_cache_retention']).toBe('in_memory');
    expect(response.prompt_cache_retention).toBe('in_memory');
  });

  it('sends no cache fields when the client sets none', async () => {
    await server.client.responses.create({ model: 'oai/gpt-5', input: 'Hi' });
    expect(lastBody('oai')).not.toHaveProperty('prompt_cache_key');
    expect(lastBody('oai')).not.toHaveProperty('prompt_cache_retention');
  });

  it("reports the upstream's cache hits as cached_tokens on a follow-up", async () => {
    const instructions = longInstructions('travel');
    const common = { model: 'oai/gpt-5', instructions, prompt_cache_key: 'travel-1' };
    const first = await server.client.responses.create({ ...common, input: 'Where should I go in May?' });
    const second = await server.client.responses.create({
      ...common,
      previous_response_id: first.id,
      input: 'And in June?',
    });
    expect(usageOf(first).cached).toBe(0);
    expect(usageOf(second).cached).toBeGreaterThanOrEqual(1024);
    expect(usageOf(second).cached).toBeLessThanOrEqual(usageOf(second).input);
    expect(usageOf(second).written).toBe(0);
  });
});

describe('prompt caching through the openai-chat provider', () => {
  it('reports prompt_tokens_details.cached_tokens as cached_tokens, and keeps the key to itself', async () => {
    const instructions = longInstructions('cooking');
    const common = { model: 'local/llama3.2', instructions, prompt_cache_key: 'cooking-1' };
    const first = await server.client.responses.create({ ...common, input: 'What is for dinner?' });
    // Compatible servers may refuse fields they do not know; the key means nothing to most of them.
    expect(lastBody('local')).not.toHaveProperty('prompt_cache_key');
    const second = await server.client.responses.create({
      ...common,
      previous_response_id: first.id,
      input: 'Dessert?',
    });
    expect(usageOf(first).cached).toBe(0);
    expect(usageOf(second).cached).toBeGreaterThanOrEqual(1024);
    expect(usageOf(second).cached).toBeLessThanOrEqual(usageOf(second).input);
  });
});

describe('prompt caching through the anthropic provider', () => {
  const model = 'claude/claude-sonnet-5-5';

  it('marks breakpoints on a two-turn chain and reads the first turn from the cache', async () => {
    const instructions = longInstructions('gardening');
    const first = await server.client.responses.create({
      model,
      instructions,
      input: 'When do I plant tulips?',
    });
    const firstBody = lastBody('claude');
    expect(breakpointsOf(firstBody)).toEqual(['system.0', 'messages.0.content.0']);
    expect(firstBody['system']).toEqual([
      { type: 'text', text: instructions, cache_control: { type: 'ephemeral' } },
    ]);
    expect(usageOf(first).cached).toBe(0);
    expect(usageOf(first).written).toBeGreaterThanOrEqual(1024);

    const second = await server.client.responses.create({
      model,
      instructions,
      previous_response_id: first.id,
      input: 'And daffodils?',
    });
    // The previous turn's end (message 0) and this turn's end (message 2): the read is exact.
    expect(breakpointsOf(lastBody('claude'))).toEqual([
      'system.0',
      'messages.0.content.0',
      'messages.2.content.0',
    ]);
    expect(usageOf(second).cached).toBe(usageOf(first).written);
    // OpenAI's input_tokens counts cached and newly cached tokens too.
    expect(usageOf(second).input).toBeGreaterThanOrEqual(usageOf(second).cached + usageOf(second).written);
  });

  it('keeps a function-call loop within four breakpoints and reads the cache on every turn after the first', async () => {
    const instructions = longInstructions('weather');
    const turns = [
      { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Bergen"}' }] },
      { text: 'Oslo is sunny and Bergen is rainy.' },
    ];
    server.berth.upstreams.claude.script(...turns);
    const common = { model, instructions, tools: [weatherTool] };
    const responses = [
      await server.client.responses.create({ ...common, input: 'Weather in Oslo and Bergen?' }),
    ];
    const breakpoints = [breakpointsOf(lastBody('claude'))];
    for (const weather of ['Sunny', 'Rainy']) {
      const previous = responses.at(-1) as Response;
      const call = functionCallOf(previous);
      responses.push(
        await server.client.responses.create({
          ...common,
          previous_response_id: previous.id,
          input: [{ type: 'function_call_output', call_id: call.call_id, output: weather }],
        }),
      );
      breakpoints.push(breakpointsOf(lastBody('claude')));
    }

    expect(breakpoints).toEqual(toolLoopBreakpoints);
    expect(responses.at(-1)?.output_text).toBe('Oslo is sunny and Bergen is rainy.');
    const [first, ...later] = responses.map(usageOf);
    expect(first?.cached).toBe(0);
    for (const usage of later) expect(usage.cached).toBeGreaterThanOrEqual(first?.written ?? Infinity);
  });

  it("asks for Anthropic's one-hour TTL when the client asks for 24h retention", async () => {
    await server.client.responses.create({
      model,
      instructions: 'Be brief.',
      input: 'Hi',
      prompt_cache_retention: '24h',
    });
    const body = lastBody('claude');
    expect(body['system']).toEqual([
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(body).not.toHaveProperty('prompt_cache_retention');
  });
});

describe('prompt_cache_retention validation', () => {
  it('answers a value OpenAI does not define with a 400 naming the param', async () => {
    const undefinedValue: string = '1h';
    const error: unknown = await server.client.responses
      .create({ model: 'oai/gpt-5', input: 'Hi', prompt_cache_retention: undefinedValue as '24h' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, param: 'prompt_cache_retention', code: 'invalid_value' });
  });
});
