import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponsesWS } from 'openai/resources/responses/ws';
import type OpenAI from 'openai';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { openableGate } from '../../test/support/openable-gate.js';

let berth: TestBerth;
beforeAll(async () => {
  berth = await startTestBerth();
});
afterAll(async () => {
  await berth.close();
});

type ServerEvent = { type: string; [field: string]: unknown };

/** Collects a socket's events and resolves each turn when its terminal event (or an error) arrives. */
function openSocket(client: OpenAI) {
  const socket = new ResponsesWS(client);
  const events: ServerEvent[] = [];
  // Terminal events resolve the oldest waiting turn of their lane (`stream_id`).
  const waiters = new Map<string, ((event: ServerEvent) => void)[]>();
  const settle = (event: ServerEvent) => {
    const lane = typeof event.stream_id === 'string' ? event.stream_id : '';
    waiters.get(lane)?.shift()?.(event);
  };
  const terminal = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);
  socket.on('event', (received) => {
    const event = received as unknown as ServerEvent;
    events.push(event);
    if (terminal.has(event.type)) settle(event);
  });
  socket.on('error', (error: { error?: unknown; message?: string }) => {
    const event = { type: 'error', ...(error.error as object), message: error.message };
    events.push(event);
    settle(event);
  });
  return {
    events,
    turn(body: Record<string, unknown>): Promise<ServerEvent> {
      const lane = typeof body.stream_id === 'string' ? body.stream_id : '';
      const done = new Promise<ServerEvent>((resolve) => {
        waiters.set(lane, [...(waiters.get(lane) ?? []), resolve]);
      });
      socket.send({ type: 'response.create', ...body } as never);
      return done;
    },
    close: () => socket.close(),
  };
}

describe('WebSocket mode on /v1/responses', () => {
  it('runs turns on one socket and chains them, including store:false turns', async () => {
    const socket = openSocket(berth.client());
    berth.upstreams.oai.script({ text: 'First over the socket.' }, { text: 'Second over the socket.' });
    const first = await socket.turn({ model: 'oai/gpt-5', input: 'one', store: false });
    expect(first.type).toBe('response.completed');
    const firstResponse = first.response as OpenAI.Responses.Response;
    expect(firstResponse.output[0]).toMatchObject({ type: 'message' });

    const second = await socket.turn({
      model: 'oai/gpt-5',
      input: 'two',
      previous_response_id: firstResponse.id,
    });
    expect(second.type).toBe('response.completed');
    const sent = JSON.stringify(berth.upstreams.oai.requests.at(-1)?.body);
    expect(sent).toContain('First over the socket.');
    expect(sent).toContain('two');

    const sequence = socket.events.filter((event) => typeof event.sequence_number === 'number');
    expect(sequence[0]?.type).toBe('response.created');
    // The store:false turn was never written.
    await expect(berth.client().responses.retrieve(firstResponse.id)).rejects.toMatchObject({ status: 404 });
    socket.close();
  });

  it('answers previous_response_not_found for a chain it cannot continue, and stays usable', async () => {
    const socket = openSocket(berth.client());
    const failure = await socket.turn({
      model: 'oai/gpt-5',
      input: 'x',
      previous_response_id: 'resp_unknown',
    });
    expect(failure.type).toBe('error');
    expect(JSON.stringify(failure)).toContain('previous_response_not_found');
    berth.upstreams.oai.script({ text: 'Still here.' });
    const next = await socket.turn({ model: 'oai/gpt-5', input: 'again' });
    expect(next.type).toBe('response.completed');
    socket.close();
  });

  it('forgets a store:false response whose continuation failed, so continuing it again is refused', async () => {
    const socket = openSocket(berth.client());
    berth.upstreams.oai.script({ text: 'Remembered.' });
    const first = await socket.turn({ model: 'oai/gpt-5', input: 'remember ember', store: false });
    const id = (first.response as { id: string }).id;
    const failed = await socket.turn({
      model: 'oai/gpt-5',
      store: false,
      previous_response_id: id,
      input: [{ type: 'function_call_output', call_id: 'call_missing', output: 'nothing' }],
    });
    expect(failed.type).toBe('error');
    const before = berth.upstreams.oai.requests.length;
    const retry = await socket.turn({
      model: 'oai/gpt-5',
      store: false,
      previous_response_id: id,
      input: 'go on',
    });
    expect(retry).toMatchObject({ type: 'error', error: { code: 'previous_response_not_found' } });
    expect(berth.upstreams.oai.requests.length).toBe(before);
    socket.close();
  });

  it('forgets a store:false response whose continuation failed upstream', async () => {
    const socket = openSocket(berth.client());
    berth.upstreams.oai.script(
      { text: 'Remembered.' },
      { error: { status: 500, message: 'upstream broke' } },
    );
    const first = await socket.turn({ model: 'oai/gpt-5', input: 'remember', store: false });
    const id = (first.response as { id: string }).id;
    const failed = await socket.turn({
      model: 'oai/gpt-5',
      store: false,
      previous_response_id: id,
      input: 'next',
    });
    expect(failed.type).toBe('response.failed');
    const retry = await socket.turn({
      model: 'oai/gpt-5',
      store: false,
      previous_response_id: id,
      input: 'again',
    });
    expect(retry).toMatchObject({ type: 'error', error: { code: 'previous_response_not_found' } });
    socket.close();
  });

  it('prepares state without calling the model when generate is false', async () => {
    const socket = openSocket(berth.client());
    const before = berth.upstreams.oai.requests.length;
    const prepared = await socket.turn({ model: 'oai/gpt-5', input: 'context only', generate: false });
    expect(prepared.type).toBe('response.completed');
    expect((prepared.response as { output: unknown[] }).output).toEqual([]);
    expect(berth.upstreams.oai.requests.length).toBe(before);
    berth.upstreams.oai.script({ text: 'Answer.' });
    const id = (prepared.response as { id: string }).id;
    await socket.turn({ model: 'oai/gpt-5', input: 'now answer', previous_response_id: id });
    expect(JSON.stringify(berth.upstreams.oai.requests.at(-1)?.body)).toContain('context only');
    socket.close();
  });

  it('runs lanes side by side and echoes each lane stream_id', async () => {
    const socket = openSocket(berth.client());
    // Lane A's model answers only when the test opens the gate, after lane B has finished.
    const gate = openableGate();
    const before = berth.upstreams.oai.requests.length;
    berth.upstreams.oai.script({ text: 'slow lane', gate: gate.opened }, { text: 'fast lane' });
    const slow = socket.turn({ model: 'oai/gpt-5', input: 'a', stream_id: 'A' });
    // Lane A's model call has arrived (and taken the gated turn) before lane B starts.
    await berth.upstreams.oai.received(before + 1);
    const fast = await socket.turn({ model: 'oai/gpt-5', input: 'b', stream_id: 'B' });
    expect(fast).toMatchObject({ type: 'response.completed', stream_id: 'B' });
    // Lane B finished while lane A was still waiting on its model.
    expect(
      socket.events.some((event) => event.stream_id === 'A' && event.type === 'response.completed'),
    ).toBe(false);
    gate.open();
    expect(await slow).toMatchObject({ type: 'response.completed', stream_id: 'A' });
    socket.close();
  });

  it('answers malformed messages with an error event and keeps the socket open', async () => {
    const { WebSocket } = await import('ws');
    const url = `${berth.baseURL.replace('http', 'ws')}/responses`;
    const socket = new WebSocket(url);
    await new Promise((resolve) => socket.once('open', resolve));
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) =>
        socket.once('message', (data: Buffer) =>
          resolve(JSON.parse(data.toString()) as Record<string, unknown>),
        ),
      );
    let reply = next();
    socket.send('{not json');
    expect(await reply).toMatchObject({ type: 'error', status: 400, error: { code: 'invalid_json' } });
    reply = next();
    socket.send(JSON.stringify({ type: 'response.delete' }));
    expect(await reply).toMatchObject({ type: 'error', status: 400, error: { param: 'type' } });
    reply = next();
    socket.send(
      JSON.stringify({ type: 'response.create', model: 'oai/gpt-5', input: 'x', background: true }),
    );
    expect(await reply).toMatchObject({ type: 'error', status: 400, error: { param: 'background' } });
    reply = next();
    socket.send(JSON.stringify({ type: 'response.create', model: 'oai/gpt-5', input: 'x', colour: 'red' }));
    expect(await reply).toMatchObject({ type: 'error', status: 400, error: { param: 'colour' } });
    reply = next();
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    socket.send(`{"type":"response.create","model":"oai/gpt-5","input":"x","metadata":${deep}}`);
    expect(await reply).toMatchObject({
      type: 'error',
      status: 400,
      error: { code: 'invalid_value', param: 'metadata.a.a' },
    });
    socket.close();
  });

  it('a store:false response on one socket cannot be continued from another', async () => {
    const first = openSocket(berth.client());
    const done = await first.turn({ model: 'oai/gpt-5', input: 'one', store: false });
    const id = (done.response as { id: string }).id;
    const second = openSocket(berth.client());
    const failure = await second.turn({ model: 'oai/gpt-5', input: 'x', previous_response_id: id });
    expect(JSON.stringify(failure)).toContain('previous_response_not_found');
    first.close();
    second.close();
  });
});
