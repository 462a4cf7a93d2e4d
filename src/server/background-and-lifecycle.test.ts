import { afterEach, describe, expect, it, vi } from 'vitest';
import type OpenAI from 'openai';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { openableGate } from '../../test/support/openable-gate.js';

const model = 'oai/gpt-5';
const running: TestBerth[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((berth) => berth.close()));
});
async function start(): Promise<TestBerth> {
  const berth = await startTestBerth();
  running.push(berth);
  return berth;
}

async function waitForStatus(
  client: OpenAI,
  id: string,
  statuses: string[],
): Promise<OpenAI.Responses.Response> {
  return vi.waitFor(
    async () => {
      const response = await client.responses.retrieve(id);
      if (!statuses.includes(response.status ?? '')) throw new Error(`still ${response.status}`);
      return response;
    },
    { timeout: 60_000, interval: 20 },
  );
}

describe('background responses', () => {
  it('answers queued at once and finishes without the client', async () => {
    const berth = await start();
    const client = berth.client();
    // The model answers only after the create has: "at once" does not depend on the model being slow.
    const gate = openableGate();
    berth.upstreams.oai.script({ text: 'Done in the background.', gate: gate.opened });
    const created = await client.responses.create({ model, input: 'Work', background: true });
    expect(created.status).toBe('queued');
    expect(created.background).toBe(true);
    gate.open();
    const finished = await waitForStatus(client, created.id, ['completed']);
    expect(finished.output_text).toBe('Done in the background.');
  });

  it('cancel stops the upstream call and ends the response cancelled', async () => {
    const berth = await start();
    const client = berth.client();
    // Never answered: the gate stays closed, so only the cancel can end the upstream call.
    berth.upstreams.oai.script({ text: 'never', gate: openableGate().opened });
    const created = await client.responses.create({ model, input: 'Slow', background: true });
    await vi.waitFor(() => expect(berth.upstreams.oai.requests.length).toBe(1), { timeout: 60_000 });
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    await vi.waitFor(() => expect(berth.upstreams.oai.abortedRequests).toBe(1), { timeout: 60_000 });
    expect((await client.responses.retrieve(created.id)).status).toBe('cancelled');
    // Cancelling again changes nothing.
    expect((await client.responses.cancel(created.id)).status).toBe('cancelled');
  });

  it('only background responses can be cancelled', async () => {
    const berth = await start();
    const client = berth.client();
    const response = await client.responses.create({ model, input: 'Hi' });
    await expect(client.responses.cancel(response.id)).rejects.toMatchObject({ status: 400 });
  });

  it('replays the stored event stream after a sequence number', async () => {
    const berth = await start();
    const client = berth.client();
    berth.upstreams.oai.script({ text: 'Replay me, please.' });
    const stream = await client.responses.create({ model, input: 'Hi', stream: true, background: true });
    const original: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) original.push(event);
    const id = original[0]?.type === 'response.created' ? original[0].response.id : '';
    expect(original.map((event) => event.type).slice(0, 3)).toEqual([
      'response.created',
      'response.queued',
      'response.in_progress',
    ]);
    await waitForStatus(client, id, ['completed']);

    const replay = await client.responses.retrieve(id, { stream: true, starting_after: 2 });
    const replayed: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of replay) replayed.push(event);
    expect(replayed).toEqual(original.slice(3));
  });

  it('follows a live background response from the middle', async () => {
    const berth = await start();
    const client = berth.client();
    berth.upstreams.oai.script({ text: 'one two three four five six', chunkSize: 4, chunkDelayMs: 30 });
    const created = await client.responses.create({ model, input: 'Hi', background: true });
    await vi.waitFor(() => expect(berth.upstreams.oai.requests.length).toBe(1), { timeout: 60_000 });
    const follow = await client.responses.retrieve(created.id, { stream: true, starting_after: 0 });
    const types: string[] = [];
    let text = '';
    for await (const event of follow) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('one two three four five six');
  });
});

describe('client disconnects and server restarts', () => {
  it('a client leaving a foreground stream cancels the upstream call', async () => {
    const berth = await start();
    const client = berth.client();
    berth.upstreams.oai.script({ text: 'x'.repeat(400), chunkSize: 2, chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await client.responses.create(
      { model, input: 'Long', stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta' && ++seen === 2) {
        controller.abort();
        break;
      }
    }
    await vi.waitFor(() => expect(berth.upstreams.oai.abortedRequests).toBe(1), { timeout: 60_000 });
  });

  it('shutdown ends in-flight streams with an error event and records them failed', async () => {
    const berth = await start();
    const client = berth.client();
    berth.upstreams.oai.script({ text: 'y'.repeat(400), chunkSize: 2, chunkDelayMs: 50 });
    const stream = await client.responses.create({ model, input: 'Long', stream: true });
    let id = '';
    const consumed = (async () => {
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') void berth.stopServer();
      }
    })();
    await expect(consumed).rejects.toThrow(/shut down/);
    const restarted = await berth.restart();
    running.push(restarted);
    const stored = await restarted.client().responses.retrieve(id);
    expect(stored.status).toBe('failed');
    expect(stored.error?.message).toMatch(/shut down/);
  });

  it('after a restart, queued background work resumes and interrupted work fails clearly', async () => {
    const berth = await start();
    const store = berth.runtime.store.responses;
    const base = {
      projectId: 'default',
      createdAt: 1,
      previousResponseId: null,
      conversationId: null,
      background: true,
      eventsRecorded: true,
    };
    // What a crash leaves behind: one response accepted but not started, one cut off mid-way.
    await store.writeResponse({
      response: {
        ...base,
        id: 'resp_queued_before_crash',
        status: 'queued',
        body: { id: 'resp_queued_before_crash', status: 'queued' },
        request: { model, input: 'resume me', background: true },
      },
    });
    await store.writeResponse({
      response: {
        ...base,
        id: 'resp_running_at_crash',
        status: 'in_progress',
        body: { id: 'resp_running_at_crash', status: 'in_progress' },
        request: { model, input: 'was running', background: true },
      },
    });
    await berth.stopServer();
    berth.upstreams.oai.script({ text: 'Resumed after restart.' });
    const restarted = await berth.restart();
    running.push(restarted);
    const client = restarted.client();
    const resumed = await waitForStatus(client, 'resp_queued_before_crash', ['completed']);
    expect(resumed.output_text).toBe('Resumed after restart.');
    const interrupted = await client.responses.retrieve('resp_running_at_crash');
    expect(interrupted.status).toBe('failed');
    expect(interrupted.error?.message).toMatch(/restarted/);
    // A client resuming the interrupted stream sees it end the way a live one would.
    const replay = await client.responses.retrieve('resp_running_at_crash', { stream: true });
    const types: string[] = [];
    for await (const event of replay) types.push(event.type);
    expect(types.at(-1)).toBe('response.failed');
    expect(await restarted.runtime.store.responses.listUnfinishedResponses()).toEqual([]);
  });
});
