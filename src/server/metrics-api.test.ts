import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, valueOf } from '../../test/support/metrics-samples.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

async function scrape(berth: TestBerth, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${new URL(berth.baseURL).origin}/metrics`, { headers });
}

describe('GET /metrics', () => {
  let berth: TestBerth;
  beforeAll(async () => {
    berth = await startTestBerth();
  });
  afterAll(async () => {
    await berth.close();
  });

  it('counts requests, responses, tokens, tool calls, model calls and store calls, labelled only by what is bounded', async () => {
    const client = berth.client();
    berth.upstreams.local.script({ text: 'Hi.', usage: { input: 11, output: 5, cached: 4 } });
    await client.responses.create({ model: 'local/llama3.2', input: 'Say hi' });
    berth.upstreams.oai.script({
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      finish: 'tool_calls',
      usage: { input: 20, output: 7 },
    });
    await client.responses.create({
      model: 'oai/gpt-5',
      input: 'Weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: false }],
    });
    berth.upstreams.claude.script({ error: { status: 500, message: 'upstream broke' } });
    await expect(
      client.responses.create({ model: 'claude/claude-sonnet-5-5', input: 'x' }),
    ).rejects.toThrow();

    const answer = await scrape(berth);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    const samples = parseSamples(text);

    const chat = { provider_kind: 'openai-chat', model: 'llama3.2' };
    expect(valueOf(samples, 'berth_responses_total', { ...chat, status: 'completed' })).toBe(1);
    expect(valueOf(samples, 'berth_tokens_total', { ...chat, type: 'input' })).toBe(11);
    expect(valueOf(samples, 'berth_tokens_total', { ...chat, type: 'output' })).toBe(5);
    expect(valueOf(samples, 'berth_tokens_total', { ...chat, type: 'cached_input' })).toBe(4);
    expect(valueOf(samples, 'berth_model_calls_total', { ...chat, finish_reason: 'stop' })).toBe(1);
    expect(valueOf(samples, 'berth_model_call_duration_seconds_count', chat)).toBe(1);
    expect(valueOf(samples, 'berth_model_time_to_first_event_seconds_count', chat)).toBe(1);

    const openai = { provider_kind: 'openai', model: 'gpt-5' };
    expect(valueOf(samples, 'berth_responses_total', { ...openai, status: 'completed' })).toBe(1);
    expect(valueOf(samples, 'berth_model_calls_total', { ...openai, finish_reason: 'tool_calls' })).toBe(1);
    expect(valueOf(samples, 'berth_tool_calls_total', { type: 'function_call', status: 'completed' })).toBe(
      1,
    );

    const anthropic = { provider_kind: 'anthropic', model: 'claude-sonnet-5-5' };
    expect(valueOf(samples, 'berth_responses_total', { ...anthropic, status: 'failed' })).toBe(1);
    expect(valueOf(samples, 'berth_model_calls_total', { ...anthropic, finish_reason: 'error' })).toBe(1);

    expect(
      valueOf(samples, 'berth_http_requests_total', {
        method: 'POST',
        route: '/v1/responses',
        status: '200',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'berth_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/responses',
      }),
    ).toBe(3);
    const storeCalls = samples.filter(
      (sample) =>
        sample.name === 'berth_store_call_duration_seconds_count' &&
        sample.labels.operation?.startsWith('responses.'),
    );
    expect(storeCalls.length).toBeGreaterThan(0);
    expect(valueOf(samples, 'berth_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Nothing that identifies a project, a key, a response or what was said.
    expect(text).not.toMatch(/resp_|proj|Say hi|Oslo|Weather/);
  });

  it('labels at most 100 distinct models, the rest as other, so clients cannot grow it without end', async () => {
    const client = berth.client();
    for (let index = 0; index < 103; index += 1) {
      berth.upstreams.local.script({ text: 'ok', usage: { input: 1, output: 1 } });
      // The default provider takes any model name it is given: the label set is what is bounded.
      await client.responses.create({ model: `local/model-${index}`, input: 'x' });
    }
    const samples = parseSamples(await (await scrape(berth)).text());
    const models = new Set(
      samples
        .filter((sample) => sample.name === 'berth_responses_total')
        .map((sample) => sample.labels.model),
    );
    // The first test named three models; with them, 96 of these get labels of their own (99 names
    // and `other`), and the last 7 count as `other`.
    expect(models.size).toBe(100);
    expect(models.has('other')).toBe(true);
    expect(
      valueOf(samples, 'berth_responses_total', {
        provider_kind: 'openai-chat',
        model: 'other',
        status: 'completed',
      }),
    ).toBe(7);
  });
});

describe('GET /metrics with a token, and turned off', () => {
  it('needs the configured bearer token, and answers 404 when metrics are off', async () => {
    const guarded = await startTestBerth({ metrics: { token: 'scrape-secret' } });
    try {
      const missing = await scrape(guarded);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ error: { code: 'missing_api_key' } });
      const wrong = await scrape(guarded, { authorization: 'Bearer scrape-secreT' });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
      const right = await scrape(guarded, { authorization: 'Bearer scrape-secret' });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('berth_http_requests_total');
    } finally {
      await guarded.close();
    }
    const off = await startTestBerth({ metrics: { enabled: false } });
    try {
      const answer = await scrape(off);
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await off.close();
    }
  });
});

describe('GET /metrics on a listener of its own (metrics.listen)', () => {
  it("is served there, with its token, and not on the API's port; the API's traffic is counted", async () => {
    const berth = await startTestBerth({
      metrics: { token: 'scrape-secret', listen: { host: '127.0.0.1', port: 0 } },
    });
    try {
      const metricsUrl = berth.runtime.metricsUrl ?? '';
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(metricsUrl).port).not.toBe(new URL(berth.baseURL).port);

      await berth.client().models.list();
      const onApiPort = await scrape(berth, { authorization: 'Bearer scrape-secret' });
      expect(onApiPort.status).toBe(404);
      expect(await onApiPort.json()).toMatchObject({ error: { code: 'not_found' } });

      const missing = await fetch(metricsUrl);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ error: { code: 'missing_api_key' } });
      const right = await fetch(metricsUrl, { headers: { authorization: 'Bearer scrape-secret' } });
      expect(right.status).toBe(200);
      const samples = parseSamples(await right.text());
      expect(
        valueOf(samples, 'berth_http_requests_total', { method: 'GET', route: '/v1/models', status: '200' }),
      ).toBe(1);

      // Nothing else is routed there: not the API, not the dashboard, not the probes.
      for (const path of ['/v1/models', '/ui/', '/healthz']) {
        const other = await fetch(new URL(path, metricsUrl));
        expect(other.status).toBe(404);
        expect(await other.json()).toMatchObject({ error: { code: 'not_found' } });
      }
    } finally {
      await berth.close();
    }
    // Closed with the server.
    await expect(fetch(berth.runtime.metricsUrl ?? '')).rejects.toThrow();
  });
});
