import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
let client: OpenAI;
beforeAll(async () => {
  berth = await startTestBerth({ bodyLimitBytes: 64 * 1024 });
  client = berth.client();
});
afterAll(async () => {
  await berth.close();
});

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${berth.baseURL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
}

function expectEnvelope(body: { error: Record<string, unknown> }): void {
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
}

describe('bad requests answer OpenAI error envelopes and change nothing', () => {
  it('malformed JSON is a 400', async () => {
    const { status, body } = await post('/responses', '{"model": "oai/gpt-5", "input": ');
    expect(status).toBe(400);
    expectEnvelope(body);
    expect(body.error.code).toBe('invalid_json');
  });

  it('prototype-poisoning JSON is a 400', async () => {
    const { status, body } = await post('/responses', '{"model":"oai/gpt-5","__proto__":{"admin":true}}');
    expect(status).toBe(400);
    expectEnvelope(body);
  });

  it('an unknown field is a 400 naming it', async () => {
    const { status, body } = await post(
      '/responses',
      JSON.stringify({ model: 'oai/gpt-5', input: 'x', colour: 'red' }),
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      param: 'colour',
      code: 'unknown_parameter',
      type: 'invalid_request_error',
    });
  });

  it('a wrong type is a 400 naming the nested param', async () => {
    const { status, body } = await post(
      '/responses',
      JSON.stringify({ model: 'oai/gpt-5', input: [{ role: 'user', content: 42 }] }),
    );
    expect(status).toBe(400);
    expect(String(body.error.param)).toMatch(/^input\[0\]/);
    const temperature = await post(
      '/responses',
      JSON.stringify({ model: 'oai/gpt-5', input: 'x', temperature: 'hot' }),
    );
    expect(temperature.body.error.param).toBe('temperature');
  });

  it('a missing model is a 400 naming model', async () => {
    const { status, body } = await post('/responses', JSON.stringify({ input: 'x' }));
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
  });

  it('a body over the limit is a 413', async () => {
    const { status, body } = await post(
      '/responses',
      JSON.stringify({ model: 'oai/gpt-5', input: 'x'.repeat(100 * 1024) }),
    );
    expect(status).toBe(413);
    expectEnvelope(body);
    expect(body.error.code).toBe('request_too_large');
  });

  it('a body nested past the depth limit is a 400 naming where, for every provider kind, before any upstream call', async () => {
    const upstreamCalls = () => Object.values(berth.upstreams).reduce((sum, u) => sum + u.requests.length, 0);
    const before = upstreamCalls();
    const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    for (const model of ['oai/gpt-5', 'local/llama3.2', 'claude/claude-sonnet-5-5']) {
      const cases = [
        [
          `{"model":"${model}","input":"x","tools":[{"type":"function","name":"f","parameters":${deep(10_000)}}]}`,
          'tools[0].parameters',
        ],
        [
          `{"model":"${model}","input":"x","text":{"format":{"type":"json_schema","name":"s","schema":${deep(10_000)}}}}`,
          'text.format.schema',
        ],
        [`{"model":"${model}","input":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'input[0][0]'],
      ] as const;
      for (const [text, param] of cases) {
        const { status, body } = await post('/responses', text);
        expect(status).toBe(400);
        expectEnvelope(body);
        expect(body.error).toMatchObject({ code: 'invalid_value', param, type: 'invalid_request_error' });
        expect(body.error.message).toContain('nested more than 128 levels');
      }
    }
    // A body exactly at the limit is read as usual (here refused by the schema, not by its shape).
    const atLimit = await post('/responses', `{"model":"oai/gpt-5","input":"x","metadata":${deep(126)}}`);
    expect(atLimit.body.error).toMatchObject({ code: 'invalid_type', param: 'metadata.a' });
    expect(upstreamCalls()).toBe(before);
    // Every JSON route is guarded, not only create.
    const conversation = await post('/conversations', `{"metadata":${deep(500)}}`);
    expect(conversation.status).toBe(400);
    expect(conversation.body.error).toMatchObject({ code: 'invalid_value', param: 'metadata.a.a' });
  });

  it('an array past the length limit is a 400 naming it', async () => {
    const limited = await startTestBerth({ requests: { maxArrayLength: 1000 } });
    try {
      const items = Array.from({ length: 1001 }, () => ({ role: 'user', content: 'x' }));
      const response = await fetch(`${limited.baseURL}/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'oai/gpt-5', input: items }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 'array_above_max_length', param: 'input' });
      expect(body.error.message).toContain('maximum length 1000, but got an array with length 1001');
      expect(limited.upstreams.oai.requests).toHaveLength(0);
    } finally {
      await limited.close();
    }
  });

  it('a client that sends its whole oversized body before reading gets the 413, not a reset', async () => {
    // Python's urllib does this, asking for `Connection: close`; the body is discarded as it arrives.
    for (const framing of ['content-length', 'chunked'] as const) {
      const answer = await sendWholeBodyThenRead(4 * 1024 * 1024, framing);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"request_too_large"');
    }
  });

  it('a plain GET of the WebSocket endpoint is a 426 envelope', async () => {
    const answer = await fetch(`${berth.baseURL}/responses`);
    expect(answer.status).toBe(426);
    const body = (await answer.json()) as { error: Record<string, unknown> };
    expectEnvelope(body);
    expect(body.error.code).toBe('upgrade_required');
  });

  it('a non-JSON content type is a 415', async () => {
    const { status, body } = await post('/responses', 'model=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(status).toBe(415);
    expectEnvelope(body);
  });

  it('an unknown provider prefix goes whole to the default provider, whose 404 reaches the client', async () => {
    const before = berth.upstreams.oai.requests.length;
    berth.upstreams.oai.script({
      error: {
        status: 404,
        message: "The model 'nowhere/model-x' does not exist.",
        type: 'invalid_request_error',
      },
    });
    await expect(client.responses.create({ model: 'nowhere/model-x', input: 'x' })).rejects.toMatchObject({
      status: 404,
    });
    expect(berth.upstreams.oai.requests.at(before)?.body).toMatchObject({ model: 'nowhere/model-x' });
  });

  it('a tool type OpenAI does not define is a 400 naming the tool', async () => {
    await expect(
      client.responses.create({
        model: 'oai/gpt-5',
        input: 'x',
        tools: [{ type: 'no_such_tool' } as never],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'tools[0].type' });
  });

  it('an unknown route is a 404 envelope', async () => {
    const response = await fetch(`${berth.baseURL}/nothing-here`);
    expect(response.status).toBe(404);
    expectEnvelope((await response.json()) as { error: Record<string, unknown> });
  });

  it('an unknown id is a 404 for every responses endpoint', async () => {
    const id = 'resp_does_not_exist';
    await expect(client.responses.retrieve(id)).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.delete(id)).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.cancel(id)).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.inputItems.list(id)).rejects.toMatchObject({ status: 404 });
  });

  it('conversation endpoints reject bad input with a 400 naming the param and keep their items', async () => {
    const conversation = await client.conversations.create({ items: [{ role: 'user', content: 'keep me' }] });
    const unknown = await post(
      `/conversations/${conversation.id}/items`,
      JSON.stringify({ items: [{ role: 'user', content: 'x' }], extra: 1 }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe('extra');
    const tooMany = await post(
      `/conversations/${conversation.id}/items`,
      JSON.stringify({ items: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })) }),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.param).toBe('items');
    const badMetadata = await post(
      `/conversations/${conversation.id}`,
      JSON.stringify({ metadata: { key: 'v'.repeat(600) } }),
    );
    expect(badMetadata.status).toBe(400);
    expect(String(badMetadata.body.error.param)).toMatch(/^metadata/);
    const badItem = await post(
      `/conversations/${conversation.id}/items`,
      JSON.stringify({ items: [{ type: 'message', role: 'robot', content: 'x' }] }),
    );
    expect(badItem.status).toBe(400);
    expect(String(badItem.body.error.param)).toMatch(/^items\[0\]/);
    const items = await client.conversations.items.list(conversation.id);
    expect(items.data).toHaveLength(1);
    expect((await client.conversations.retrieve(conversation.id)).metadata).toEqual({});
  });

  it('list endpoints reject a bad limit or order', async () => {
    const response = await client.responses.create({ model: 'oai/gpt-5', input: 'x' });
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'order=sideways']) {
      const answer = await fetch(`${berth.baseURL}/responses/${response.id}/input_items?${query}`);
      expect(answer.status).toBe(400);
      expectEnvelope((await answer.json()) as { error: Record<string, unknown> });
    }
  });

  it('a bad request leaves no response behind', async () => {
    const before = (await berth.runtime.store.responses.listUnfinishedResponses()).length;
    await post('/responses', JSON.stringify({ model: 'oai/gpt-5', input: 'x', colour: 'red' }));
    expect((await berth.runtime.store.responses.listUnfinishedResponses()).length).toBe(before);
  });
});

/**
 * Writes a POST of `bytes` of body with `Connection: close` on a raw socket, all of it before reading
 * anything, then answers what the server sent (or the error writing or reading met).
 */
async function sendWholeBodyThenRead(bytes: number, framing: 'content-length' | 'chunked'): Promise<string> {
  const url = new URL(berth.baseURL);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = once(socket, 'close');
  try {
    const length = framing === 'content-length' ? `Content-Length: ${bytes}` : 'Transfer-Encoding: chunked';
    socket.write(
      `POST ${url.pathname}/responses HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\n${length}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      const framed = framing === 'chunked' ? [`${chunk.length.toString(16)}\r\n`, chunk, '\r\n'] : [chunk];
      for (const part of framed) if (!socket.write(part)) await once(socket, 'drain');
    }
    // Having sent everything, the client half-closes (as urllib does on exit) and reads to the end.
    socket.end(framing === 'chunked' ? '0\r\n\r\n' : '');
    await closed;
  } catch (error) {
    return `error: ${String(error)}`;
  }
  return Buffer.concat(received).toString('utf8');
}

/** A GET with the path sent byte for byte (fetch would normalize it), answering status and JSON. */
function rawGet(path: string): Promise<{ status: number; body: { error: Record<string, unknown> } }> {
  const url = new URL(berth.baseURL);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, method: 'GET', path: `${url.pathname}${path}`, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: Record<string, unknown> },
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('URLs the router or Node refuses answer OpenAI error envelopes', () => {
  it('bad percent-encoding is a 400', async () => {
    const { status, body } = await rawGet('/containers/%ff');
    expect(status).toBe(400);
    expectEnvelope(body);
    expect(body.error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error', param: null });
  });

  it('an id over the router limit is a 414', async () => {
    const { status, body } = await rawGet(`/containers/${'x'.repeat(200)}`);
    expect(status).toBe(414);
    expectEnvelope(body);
    expect(body.error).toMatchObject({ code: 'uri_too_long', type: 'invalid_request_error' });
  });

  it('a URL over the header size limit is a 431', async () => {
    const { status, body } = await rawGet(`/containers/cntr_x?pad=${'x'.repeat(20_000)}`);
    expect(status).toBe(431);
    expectEnvelope(body);
    expect(body.error).toMatchObject({ code: 'request_headers_too_large', type: 'invalid_request_error' });
  });
});
