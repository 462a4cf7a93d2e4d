import Database from 'better-sqlite3';
import type OpenAI from 'openai';
import type { CompactedResponse, ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactionSummaryLabel } from '../engine/compaction/context-for-model.js';
import { compactionInstructions } from '../engine/compaction/summarize-for-compaction.js';
import { databasePath } from '../runtime/start-runtime.js';
import { startTestBerth, testProviders, type TestBerth } from '../../test/support/start-test-berth.js';
import { issueApiKey } from '../keys/issue-api-key.js';

let berth: TestBerth;
let client: OpenAI;
beforeAll(async () => {
  berth = await startTestBerth();
  client = berth.client();
});
afterAll(async () => {
  await berth.close();
});

/** A conversation worth compacting: two user turns, an assistant answer and a function call between. */
const conversation: ResponseInputItem[] = [
  { role: 'user', content: 'Write hello.py that prints hi.' },
  { role: 'assistant', content: 'OLD-ANSWER: I wrote hello.py with print("hi").' },
  { type: 'function_call', call_id: 'call_1', name: 'run_tests', arguments: '{"path":"hello.py"}' },
  { type: 'function_call_output', call_id: 'call_1', output: 'OLD-TOOL-OUTPUT: 1 passed' },
  { role: 'user', content: 'Now add a test for it.' },
];

/** Rows in the tables a create or a conversation writes, read straight from the SQLite file. */
function storedRows(): Record<string, number> {
  const database = new Database(databasePath(berth.dataDir), { readonly: true });
  try {
    const count = (table: string) =>
      (database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const tables = ['responses', 'response_items', 'conversations', 'conversation_items'];
    return Object.fromEntries(tables.map((table) => [table, count(table)]));
  } finally {
    database.close();
  }
}

/** The compacted output as the next request's input, as a client would send it back. */
function asInput(compacted: CompactedResponse): ResponseInputItem[] {
  return compacted.output as unknown as ResponseInputItem[];
}

function compactionItemOf(compacted: CompactedResponse): { id: string; encrypted_content: string } {
  const item = compacted.output.at(-1);
  if (item?.type !== 'compaction') throw new Error('the last output item is not a compaction item');
  return item;
}

describe.each(testProviders)('compaction through the $kind provider', ({ name, model }) => {
  const upstream = () => berth.upstreams[name];
  const lastSent = () => JSON.stringify(upstream().requests.at(-1)?.body);
  const summary = `SUMMARY-${name}: hello.py prints hi and its test passes; next, add a test.`;

  it('compacts a conversation into its user messages and one sealed compaction item', async () => {
    upstream().script({ text: summary, usage: { input: 120, output: 30 } });
    const compacted = await client.responses.compact({
      model,
      input: conversation,
      instructions: 'You are a careful coder.',
    });
    expect(compacted.id).toMatch(/^resp_/);
    expect(compacted.object).toBe('response.compaction');
    expect(typeof compacted.created_at).toBe('number');
    expect(compacted.usage).toMatchObject({ input_tokens: 120, output_tokens: 30, total_tokens: 150 });
    expect(compacted.output).toHaveLength(3);
    expect(compacted.output.slice(0, 2)).toMatchObject([
      {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Write hello.py that prints hi.' }],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Now add a test for it.' }] },
    ]);
    const item = compactionItemOf(compacted);
    expect(item.id).toMatch(/^cmp_/);
    expect(item.encrypted_content).toMatch(/^bcmp1\./);
    expect(item.encrypted_content).not.toContain('hello');

    // The model was asked, without tools, to summarise the whole conversation as text.
    const sent = lastSent();
    expect(sent).toContain(JSON.stringify(compactionInstructions).slice(1, 60));
    expect(sent).toContain('You are a careful coder.');
    expect(sent).toContain('OLD-ANSWER: I wrote hello.py');
    expect(sent).toContain('run_tests');
    expect(sent).toContain('OLD-TOOL-OUTPUT: 1 passed');
    expect(sent).not.toContain('"tools":[{');
  });

  it('takes a compaction item back as input: the model sees its summary instead of the compacted turns', async () => {
    upstream().script({ text: summary });
    const compacted = await client.responses.compact({ model, input: conversation });
    const before = upstream().requests.length;

    upstream().script({ text: 'I added test_hello.py.' });
    const response = await client.responses.create({
      model,
      input: [...asInput(compacted), { role: 'user', content: 'Go on.' }],
    });
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('I added test_hello.py.');
    expect(upstream().requests).toHaveLength(before + 1);
    const sent = lastSent();
    expect(sent).toContain(summary);
    expect(sent).toContain(JSON.stringify(compactionSummaryLabel).slice(1, 40));
    expect(sent).toContain('Write hello.py that prints hi.');
    expect(sent).toContain('Now add a test for it.');
    expect(sent).toContain('Go on.');
    expect(sent).not.toContain('OLD-ANSWER');
    expect(sent).not.toContain('OLD-TOOL-OUTPUT');
    expect(sent).not.toContain('bcmp1.');

    // Clients see OpenAI's compaction item where they put it, exactly as they sent it.
    const inputItems = await client.responses.inputItems.list(response.id, { order: 'asc' });
    expect(inputItems.data.map((item) => item.type)).toEqual(['message', 'message', 'compaction', 'message']);
    expect(inputItems.data[2]).toEqual({
      id: compactionItemOf(compacted).id,
      type: 'compaction',
      encrypted_content: compactionItemOf(compacted).encrypted_content,
    });

    // Chained, the stored compaction item goes on standing in for the turns it replaced.
    upstream().script({ text: 'Done.' });
    await client.responses.create({ model, input: 'Anything else?', previous_response_id: response.id });
    const chained = lastSent();
    expect(chained).toContain(summary);
    expect(chained).toContain('I added test_hello.py.');
    expect(chained).not.toContain('OLD-ANSWER');
  });

  it('compacts a stored chain named by previous_response_id, building on an earlier compaction', async () => {
    upstream().script({ text: summary });
    const first = await client.responses.compact({ model, input: conversation });
    upstream().script({ text: 'NEWER-ANSWER: the test is in test_hello.py.' });
    const response = await client.responses.create({
      model,
      input: [...asInput(first), { role: 'user', content: 'Where is the test?' }],
    });

    upstream().script({ text: `SECOND-${summary}` });
    const second = await client.responses.compact({
      model,
      previous_response_id: response.id,
      input: 'Thanks.',
    });
    const sent = lastSent();
    // The summariser read the earlier summary and what came after it, not the turns already compacted.
    expect(sent).toContain(summary);
    expect(sent).toContain('NEWER-ANSWER');
    expect(sent).not.toContain('OLD-ANSWER');
    expect(second.output.map((item) => item.type)).toEqual([
      'message',
      'message',
      'message',
      'message',
      'compaction',
    ]);
    expect(compactionItemOf(second).encrypted_content).not.toBe(compactionItemOf(first).encrypted_content);

    upstream().script({ text: 'ok' });
    await client.responses.create({ model, input: asInput(second) });
    expect(lastSent()).toContain(`SECOND-${summary}`);
    expect(lastSent()).not.toContain('NEWER-ANSWER');
  });
});

describe('compaction errors', () => {
  const oai = () => berth.upstreams.oai;

  async function compactedBlob(): Promise<CompactedResponse> {
    oai().script({ text: 'A summary.' });
    return client.responses.compact({ model: 'oai/gpt-5', input: conversation });
  }

  it('answers a tampered blob with a 400 naming the item, and runs and stores nothing', async () => {
    const compacted = await compactedBlob();
    const blob = compactionItemOf(compacted).encrypted_content;
    const tampered = `${blob.slice(0, -6)}${blob.slice(-6, -5) === 'A' ? 'B' : 'A'}${blob.slice(-5)}`;
    const conversationObject = await client.conversations.create();
    const rows = storedRows();
    const requests = oai().requests.length;

    const attempts = [
      tampered,
      blob.slice(0, blob.length - 10),
      'not-a-berth-blob',
      `bcmp9.${blob.slice('bcmp1.'.length)}`,
    ];
    for (const encrypted of attempts) {
      const input: ResponseInputItem[] = [
        { role: 'user', content: 'Hi' },
        { type: 'compaction', encrypted_content: encrypted },
      ];
      await expect(
        client.responses.create({ model: 'oai/gpt-5', input, conversation: conversationObject.id }),
      ).rejects.toMatchObject({ status: 400, code: 'invalid_value', param: 'input[1].encrypted_content' });
      await expect(
        client.responses.create({ model: 'oai/gpt-5', input, stream: true, background: true }),
      ).rejects.toMatchObject({ status: 400, param: 'input[1].encrypted_content' });
      await expect(client.responses.compact({ model: 'oai/gpt-5', input })).rejects.toMatchObject({
        status: 400,
        param: 'input[1].encrypted_content',
      });
    }
    // Conversations take items too; a bad compaction item never gets in there either.
    const items = [{ type: 'compaction' as const, encrypted_content: tampered }];
    await expect(client.conversations.create({ items })).rejects.toMatchObject({
      status: 400,
      param: 'items[0].encrypted_content',
    });
    await expect(client.conversations.items.create(conversationObject.id, { items })).rejects.toMatchObject({
      status: 400,
      param: 'items[0].encrypted_content',
    });
    expect(oai().requests).toHaveLength(requests);
    expect(storedRows()).toEqual(rows);
    expect((await client.conversations.items.list(conversationObject.id)).data).toEqual([]);
  });

  it('rejects compaction_trigger items clearly', async () => {
    const error = await client.responses
      .create({
        model: 'oai/gpt-5',
        input: [{ role: 'user', content: 'Hi' }, { type: 'compaction_trigger' }],
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'input[1].type' });
    expect((error as Error).message).toContain('POST /v1/responses/compact');
  });

  it('answers bad compact requests in the error envelope', async () => {
    const post = async (body: unknown) => {
      const response = await fetch(`${berth.baseURL}/responses/compact`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, error: ((await response.json()) as { error: unknown }).error };
    };
    expect(await post({ input: 'Hi' })).toMatchObject({
      status: 400,
      error: { code: 'missing_required_parameter', param: 'model' },
    });
    expect(await post({ model: null, input: 'Hi' })).toMatchObject({
      status: 400,
      error: { code: 'missing_required_parameter', param: 'model' },
    });
    expect(await post({ model: 'oai/gpt-5', input: 'Hi', tools: [] })).toMatchObject({
      status: 400,
      error: { code: 'unknown_parameter', param: 'tools' },
    });
    expect(await post({ model: 'oai/gpt-5' })).toMatchObject({
      status: 400,
      error: { code: 'invalid_value', param: 'input' },
    });
    expect(await post({ model: 'oai/gpt-5', previous_response_id: 'resp_missing' })).toMatchObject({
      status: 404,
      error: { code: 'previous_response_not_found', param: 'previous_response_id' },
    });
    // Service-tuning fields are accepted and ignored, as create does.
    oai().script({ text: 'A summary.' });
    expect(
      await post({
        model: 'oai/gpt-5',
        input: 'Hi',
        service_tier: 'flex',
        prompt_cache_key: 'k',
        prompt_cache_retention: '24h',
        prompt_cache_options: { mode: 'implicit' },
      }),
    ).toMatchObject({ status: 200 });
  });

  it("passes on the upstream's answer for a model it does not know", async () => {
    oai().script({ error: { status: 404, message: "The model 'gpt-nope' does not exist." } });
    const error = await client.responses.compact({ model: 'oai/gpt-nope', input: 'Hi' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ status: 404 });
    expect((error as Error).message).toContain('gpt-nope');
  });

  it('validates context_management and accepts a compaction entry', async () => {
    const create = (contextManagement: unknown) =>
      client.responses.create({
        model: 'oai/gpt-5',
        input: 'Hi',
        context_management: contextManagement as [],
      });
    const cases: [unknown, string, string][] = [
      [
        [{ type: 'compaction', compact_threshold: 10 }],
        'context_management[0].compact_threshold',
        'invalid_value',
      ],
      [
        [{ type: 'compaction', compact_threshold: 2.5 }],
        'context_management[0].compact_threshold',
        'invalid_type',
      ],
      [
        [{ type: 'compaction', compact_threshold: 1e12 }],
        'context_management[0].compact_threshold',
        'invalid_value',
      ],
      [[{ type: 'truncation' }], 'context_management[0].type', 'invalid_value'],
      [[{ type: 'compaction', colour: 'red' }], 'context_management[0].colour', 'unknown_parameter'],
      [[{ type: 'compaction' }, { type: 'compaction' }], 'context_management', 'invalid_value'],
      [{ type: 'compaction' }, 'context_management', 'invalid_type'],
    ];
    for (const [value, param, code] of cases) {
      await expect(create(value), JSON.stringify(value)).rejects.toMatchObject({ status: 400, param, code });
    }
    for (const value of [
      [{ type: 'compaction', compact_threshold: 200_000 }],
      [{ type: 'compaction' }],
      [],
      null,
    ]) {
      oai().script({ text: 'fine' });
      await expect(create(value)).resolves.toMatchObject({ status: 'completed', output_text: 'fine' });
    }
  });
});

describe('compaction items across projects and servers', () => {
  let tenancy: TestBerth;
  beforeAll(async () => {
    tenancy = await startTestBerth();
  });
  afterAll(async () => {
    await tenancy.close();
  });

  it("answers another project's or another server's compaction item with a 400", async () => {
    const alpha = tenancy.client(
      await issueApiKey(tenancy.runtime.store.apiKeys, {
        id: 'key_a',
        name: 'a',
        projectId: 'alpha',
        createdAt: 1,
      }),
    );
    const beta = tenancy.client(
      await issueApiKey(tenancy.runtime.store.apiKeys, {
        id: 'key_b',
        name: 'b',
        projectId: 'beta',
        createdAt: 1,
      }),
    );
    tenancy.upstreams.oai.script({ text: 'Alpha summary.' });
    const alphaCompacted = await alpha.responses.compact({ model: 'oai/gpt-5', input: conversation });
    // The default project's blob on the first server: same project id, different server key.
    berth.upstreams.oai.script({ text: 'Other server summary.' });
    const otherServer = await client.responses.compact({ model: 'oai/gpt-5', input: conversation });

    const requests = tenancy.upstreams.oai.requests.length;
    for (const [sender, compacted] of [
      [beta, alphaCompacted],
      [alpha, otherServer],
    ] as const) {
      const error = await sender.responses.create({ model: 'oai/gpt-5', input: asInput(compacted) }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({
        status: 400,
        code: 'invalid_value',
        param: 'input[2].encrypted_content',
      });
      expect((error as Error).message).toMatch(
        /another project or by a server with a different compaction key/,
      );
    }
    expect(tenancy.upstreams.oai.requests).toHaveLength(requests);

    tenancy.upstreams.oai.script({ text: 'ok' });
    await expect(
      alpha.responses.create({ model: 'oai/gpt-5', input: asInput(alphaCompacted) }),
    ).resolves.toMatchObject({ status: 'completed' });
    expect(JSON.stringify(tenancy.upstreams.oai.requests.at(-1)?.body)).toContain('Alpha summary.');
  });
});
