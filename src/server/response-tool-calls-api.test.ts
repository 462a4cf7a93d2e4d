import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { CursorPage } from 'openai/pagination';
import type { ToolCallObject } from '../engine/tool-call-object.js';
import { createRandomIdGenerator } from '../ids.js';
import type { ToolCallRecord } from '../store/store.js';
import { issueApiKey } from '../keys/issue-api-key.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

type ToolCallList = {
  object: 'list';
  data: ToolCallObject[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
};

let berth: TestBerth;
let alpha: OpenAI;
let beta: OpenAI;
beforeAll(async () => {
  berth = await startTestBerth();
  // Keys exist before the first request, so every request is authenticated to a project.
  const key = (project: string) =>
    issueApiKey(berth.runtime.store.apiKeys, {
      id: `key_${project}`,
      name: project,
      projectId: project,
      createdAt: 1,
    });
  alpha = berth.client(await key('alpha'));
  beta = berth.client(await key('beta'));
});
afterAll(async () => {
  await berth.close();
});

const ids = createRandomIdGenerator();
const startedAt = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

/** What the engine records as each command of a shell call finishes. */
function record(responseId: string, index: number, overrides: Partial<ToolCallRecord> = {}): ToolCallRecord {
  return {
    id: ids.next('tcl'),
    projectId: 'alpha',
    responseId,
    callId: 'call_abc',
    itemId: 'sh_abc',
    commandIndex: index,
    command: `echo step ${index}`,
    containerId: 'cntr_abc',
    session: 'default',
    startedAt: startedAt + index * 1_000,
    endedAt: startedAt + index * 1_000 + 250,
    outcome: { type: 'exit', exitCode: index },
    stdoutBytes: 7,
    stderrBytes: 0,
    ...overrides,
  };
}

const list = (client: OpenAI, id: string, query: Record<string, unknown> = {}) =>
  client.get<ToolCallList>(`/responses/${id}/tool_calls`, { query });

describe('GET /v1/responses/{id}/tool_calls', () => {
  it('lists the tool-call log oldest first, paginated like OpenAI lists', async () => {
    const response = await alpha.responses.create({ model: 'oai/gpt-5', input: 'run things' });
    expect(await list(alpha, response.id)).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });

    // Recorded in the order the commands ended: the timed-out first command ended last.
    const second = record(response.id, 1, { stderrBytes: 12 });
    const third = record(response.id, 2);
    const first = record(response.id, 0, {
      command: 'sleep 999',
      endedAt: startedAt + 120_000,
      outcome: { type: 'timeout' },
      stdoutBytes: 0,
    });
    for (const entry of [second, third, first]) await berth.runtime.store.toolCalls.recordToolCall(entry);

    const page = await list(alpha, response.id);
    expect(page.data.map((entry) => entry.id)).toEqual([first.id, second.id, third.id]);
    expect(page).toMatchObject({ object: 'list', first_id: first.id, last_id: third.id, has_more: false });
    expect(page.data[0]).toEqual({
      id: first.id,
      object: 'response.tool_call',
      response_id: response.id,
      call_id: 'call_abc',
      item_id: 'sh_abc',
      command_index: 0,
      command: 'sleep 999',
      container_id: 'cntr_abc',
      session: 'default',
      started_at: Math.floor(startedAt / 1000),
      ended_at: Math.floor((startedAt + 120_000) / 1000),
      duration_ms: 120_000,
      outcome: { type: 'timeout' },
      stdout_bytes: 0,
      stderr_bytes: 0,
      egress_url: '/v1/containers/cntr_abc/egress?call_id=call_abc',
    });
    expect(page.data[1]).toMatchObject({
      command_index: 1,
      duration_ms: 250,
      outcome: { type: 'exit', exit_code: 1 },
      stdout_bytes: 7,
      stderr_bytes: 12,
    });

    // The official client's cursor pagination walks it page by page.
    const walked: string[] = [];
    const pages = alpha.getAPIList<ToolCallObject, CursorPage<ToolCallObject>>(
      `/responses/${response.id}/tool_calls`,
      CursorPage,
      { query: { limit: 2 } },
    );
    for await (const entry of pages) walked.push(entry.id);
    expect(walked).toEqual([first.id, second.id, third.id]);

    const newest = await list(alpha, response.id, { order: 'desc', limit: 2 });
    expect(newest.data.map((entry) => entry.id)).toEqual([third.id, second.id]);
    expect(newest.has_more).toBe(true);
    const rest = await list(alpha, response.id, { order: 'desc', after: second.id });
    expect(rest.data.map((entry) => entry.id)).toEqual([first.id]);
    expect(rest.has_more).toBe(false);
  });

  it("answers 404 in the error envelope for an unknown response or another project's", async () => {
    await expect(list(alpha, 'resp_does_not_exist')).rejects.toMatchObject({
      status: 404,
      error: { message: "No response found with id 'resp_does_not_exist'.", type: 'invalid_request_error' },
    });
    const response = await alpha.responses.create({ model: 'oai/gpt-5', input: 'mine' });
    await berth.runtime.store.toolCalls.recordToolCall(record(response.id, 0));
    // Another project's response answers exactly as retrieving it would: as an unknown one.
    const asBeta = (path: string) =>
      fetch(`${berth.baseURL}/responses/${path}`, { headers: { authorization: `Bearer ${beta.apiKey}` } });
    const foreign = await asBeta(`${response.id}/tool_calls`);
    expect(foreign.status).toBe(404);
    const body = await foreign.json();
    expect(body).toEqual({
      error: {
        message: `No response found with id '${response.id}'.`,
        type: 'invalid_request_error',
        param: null,
        code: 'not_found',
      },
    });
    expect(body).toEqual(await (await asBeta(response.id)).json());
    const anonymous = await fetch(`${berth.baseURL}/responses/${response.id}/tool_calls`);
    expect(anonymous.status).toBe(401);
    expect((await list(alpha, response.id)).data).toHaveLength(1);
  });

  it('rejects a bad limit or order with a 400 naming the parameter', async () => {
    const response = await alpha.responses.create({ model: 'oai/gpt-5', input: 'x' });
    for (const [query, param] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 101 }, 'limit'],
      [{ limit: 'many' }, 'limit'],
      [{ order: 'sideways' }, 'order'],
    ] as const) {
      await expect(list(alpha, response.id, query)).rejects.toMatchObject({ status: 400, param });
    }
  });

  it("shows a running response's log while it runs", async () => {
    berth.upstreams.oai.script({ text: 'z'.repeat(400), chunkSize: 2, chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await alpha.responses.create(
      { model: 'oai/gpt-5', input: 'Long', stream: true },
      { signal: controller.signal },
    );
    let id = '';
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type !== 'response.output_text.delta') continue;
      // A foreground response is written only when it ends: while text streams it is only live.
      expect((await alpha.responses.retrieve(id)).status).toBe('in_progress');
      await berth.runtime.store.toolCalls.recordToolCall(record(id, 0));
      expect((await list(alpha, id)).data.map((entry) => entry.command)).toEqual(['echo step 0']);
      await expect(list(beta, id)).rejects.toMatchObject({ status: 404 });
      controller.abort();
      break;
    }
  });

  it('deletes the log with its response', async () => {
    const response = await alpha.responses.create({ model: 'oai/gpt-5', input: 'soon gone' });
    const kept = await alpha.responses.create({ model: 'oai/gpt-5', input: 'stays' });
    await berth.runtime.store.toolCalls.recordToolCall(record(response.id, 0));
    await berth.runtime.store.toolCalls.recordToolCall(record(response.id, 1));
    await berth.runtime.store.toolCalls.recordToolCall(record(kept.id, 0));
    await expect(beta.responses.delete(response.id)).rejects.toMatchObject({ status: 404 });
    expect((await list(alpha, response.id)).data).toHaveLength(2);

    await alpha.responses.delete(response.id);
    await expect(list(alpha, response.id)).rejects.toMatchObject({ status: 404 });
    const page = { limit: 100, order: 'asc' as const };
    expect((await berth.runtime.store.toolCalls.listToolCalls('alpha', response.id, page)).data).toEqual([]);
    expect((await list(alpha, kept.id)).data).toHaveLength(1);
  });
});
