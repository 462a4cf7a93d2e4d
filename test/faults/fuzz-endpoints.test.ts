import { join } from 'node:path';
import Database from 'better-sqlite3';
import { routesOf } from '../support/router-routes.js';
import fc from 'fast-check';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBerth, type TestBerth } from '../support/start-test-berth.js';

/**
 * Property: whatever arrives at any route — any method it takes, any ids, any query, any body under any
 * content type — the answer is never a 5xx, every refusal is OpenAI's error envelope, the server keeps
 * answering, and what was there before is unchanged. Routes come from the server itself
 * (`printRoutes`), so a route added later is fuzzed without anyone listing it.
 */

let berth: TestBerth;
/** Objects made before the fuzzing, and how each looked. */
const before: { path: string; body: string }[] = [];
/** How many requests the fuzzing sent (reported in docs/reliability.md). */
let sent = 0;

beforeAll(async () => {
  berth = await startTestBerth();
  const client = berth.client();
  const response = await client.responses.create({ model: 'oai/gpt-5', input: 'kept', store: true });
  const conversation = await client.conversations.create({ metadata: { kept: 'yes' } });
  const file = await client.files.create({
    file: await toFile(Buffer.from('kept\n'), 'kept.txt'),
    purpose: 'user_data',
  });
  for (const path of [
    `/responses/${response.id}`,
    `/responses/${response.id}/input_items`,
    `/conversations/${conversation.id}`,
    `/conversations/${conversation.id}/items`,
    `/files/${file.id}`,
    `/files/${file.id}/content`,
  ]) {
    before.push({ path, body: await (await fetch(`${berth.baseURL}${path}`)).text() });
  }
});
afterAll(async () => {
  await berth.close();
});

const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'multipart/form-data; boundary=fuzz',
  'multipart/form-data',
  'text/plain',
  'application/x-www-form-urlencoded',
  undefined,
];

/** A path segment a client could send: ids of the right shape, garbage, traversal, encoded bytes. */
const segment = fc.oneof(
  fc.constantFrom('resp_x', 'conv_x', 'file-x', 'cntr_x', 'skill_x', 'msg_x', '1', 'latest', '..', '%2e%2e'),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc
    .uint8Array({ minLength: 1, maxLength: 12 })
    .map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')),
);

/** Bodies: random JSON, JSON shaped like a real request with random fields, and raw bytes. */
const body = fc.oneof(
  fc.json({ depthSize: 'medium' }),
  fc
    .record(
      {
        model: fc.constantFrom('oai/gpt-5', 'local/llama3.2', 'claude/claude-sonnet-5-5', 'nope/x'),
        input: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 6 })),
        tools: fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 3 }),
        stream: fc.boolean(),
        background: fc.boolean(),
        store: fc.boolean(),
        metadata: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        items: fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 3 }),
        commands: fc.array(fc.string(), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    )
    .chain((known) =>
      fc
        .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 })
        .map((extra) => JSON.stringify({ ...extra, ...known })),
    ),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constant(''),
);

const query = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'order', 'after', 'include', 'stream', 'starting_after', fc.string()),
      fc.string(),
    ),
    {
      maxLength: 3,
    },
  )
  .map((pairs) =>
    pairs.length === 0 ? '' : `?${new URLSearchParams(pairs as [string, string][]).toString()}`,
  );

describe('fuzzing every endpoint', () => {
  it('answers anything with no 5xx and an error envelope for every refusal, changing nothing it had', async () => {
    const routes = routesOf(berth.runtime.app.printRoutes({ commonPrefix: false }));
    expect(routes.map((route) => route.path)).toContain('/v1/responses/:id/cancel');
    const request = fc.record({
      route: fc.constantFrom(...routes),
      methodIndex: fc.nat(),
      segments: fc.array(segment, { minLength: 4, maxLength: 4 }),
      query,
      body,
      contentType: fc.constantFrom(...contentTypes),
    });
    await fc.assert(
      fc.asyncProperty(
        request,
        async ({ route, methodIndex, segments, query: search, body: text, contentType }) => {
          const method = route.methods[methodIndex % route.methods.length] ?? 'GET';
          let next = 0;
          const path = route.path
            .replace(/:[a-z_]+|\*/gi, () => segments[next++ % segments.length] ?? 'x')
            .replace(/^\/v1/, '');
          const withBody = method === 'POST' || method === 'DELETE';
          const answer = await fetch(`${berth.baseURL}${path}${search}`, {
            method,
            headers: contentType && withBody ? { 'content-type': contentType } : {},
            ...(withBody ? { body: text } : {}),
          });
          sent += 1;
          const answered = await answer.text();
          const what = `${method} ${path}${search} ${contentType ?? ''} ${text.slice(0, 200)} → ${answer.status} ${answered.slice(0, 300)}`;
          expect(answer.status, what).toBeLessThan(500);
          if (answer.status >= 400 && method !== 'HEAD') {
            const envelope = JSON.parse(answered) as { error: Record<string, unknown> };
            expect(Object.keys(envelope.error).sort(), what).toEqual(['code', 'message', 'param', 'type']);
          }
        },
      ),
      { numRuns: 1500 },
    );
    expect(sent).toBe(1500);
    // Still serving, and nothing that was there changed.
    expect((await fetch(`${berth.baseURL}/models`)).status).toBe(200);
    for (const { path, body: was } of before) {
      expect(await (await fetch(`${berth.baseURL}${path}`)).text(), path).toBe(was);
    }
    const db = new Database(join(berth.dataDir, 'berth.sqlite'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 300_000);
});
