// The scripted model for bench:agent, in its own process (started by agent.ts with an IPC channel):
// the OpenAI Responses fake, answering at once, plus how long it spent on each `POST /v1/responses`.
// The time is taken with Node's own HTTP diagnostics channels, so the fake itself needs no hook:
// `http.server.request.start` fires when a request's headers are parsed, `http.server.response.finish`
// when the last byte of the answer is handed to the kernel.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startFakeOpenAIResponsesUpstream } from '../test/support/fake-openai-responses-upstream.js';
import type { ScriptedTurn } from '../test/support/scripted-turn.js';
import type { UpstreamMessage, UpstreamSpan } from './agent-ipc.js';

interface HttpServerMessage {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

const startedAt = new WeakMap<ServerResponse, number>();
let spans: UpstreamSpan[] = [];

subscribe('http.server.request.start', (message) => {
  const { request, response } = message as HttpServerMessage;
  if (request.method === 'POST' && request.url === '/v1/responses')
    startedAt.set(response, performance.now());
});
subscribe('http.server.response.finish', (message) => {
  const { response } = message as HttpServerMessage;
  const start = startedAt.get(response);
  if (start !== undefined) spans.push({ start, end: performance.now() });
});

const upstream = await startFakeOpenAIResponsesUpstream();
// The fake records every request for tests; a long run would keep them all.
setInterval(() => upstream.requests.splice(0), 1000).unref();

function send(message: UpstreamMessage): void {
  process.send?.(message);
}

process.on('message', (message: { type: 'script'; turns: ScriptedTurn[] } | { type: 'take' }) => {
  if (message.type === 'script') {
    upstream.script(...message.turns);
    send({ type: 'scripted' });
  } else {
    send({ type: 'spans', spans });
    spans = [];
  }
});
// The benchmark went away (finished or killed): nothing is left to answer.
process.on('disconnect', () => void upstream.close().finally(() => process.exit(0)));
send({ type: 'ready', url: upstream.baseURL });
