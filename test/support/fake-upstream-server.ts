import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultTurn, type FakeUpstream, type RecordedRequest, type ScriptedTurn } from './scripted-turn.js';

/** One request as a fake's protocol code sees it, already read and recorded by the harness. */
export interface FakeUpstreamExchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** The method and the path without its query string, for example `POST /v1/responses`. */
  readonly route: string;
  /** The parsed JSON body (null for an empty body), or the raw text when `bodyIsJson` is false. */
  readonly body: unknown;
  /** False when the body was not valid JSON; each protocol answers that with its own error. */
  readonly bodyIsJson: boolean;
  /** Aborted when the client goes away, so scripted waits end early and leave no timer behind. */
  readonly disconnected: AbortSignal;
  /** Takes the next scripted turn, or the default "ok" turn when the queue is empty. */
  readonly nextTurn: () => ScriptedTurn;
}

export interface FakeUpstreamServerOptions {
  /** Appended to `http://127.0.0.1:PORT` to make `baseURL`: the path prefix the protocol's SDK expects. */
  readonly baseURLPath: string;
  /** Answers one request in the protocol's wire format. A rejection destroys the response. */
  handle(exchange: FakeUpstreamExchange): Promise<void>;
}

/**
 * The protocol-neutral part of every fake upstream: a loopback HTTP server that records each request,
 * keeps the queue of scripted turns, and counts the requests whose client disconnected early.
 *
 * @example
 * return startFakeUpstreamServer({ baseURLPath: '/v1', handle: async ({ route, response }) => { … } });
 */
export async function startFakeUpstreamServer(options: FakeUpstreamServerOptions): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedTurn[] = [];
  let abortedRequests = 0;
  /** Waiters of `received`, each with the request count it waits for. */
  const arrivals: { readonly count: number; readonly arrived: () => void }[] = [];
  let responder: ((body: unknown) => ScriptedTurn | undefined) | null = null;

  async function receive(
    request: IncomingMessage,
    response: ServerResponse,
    disconnected: AbortSignal,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const text = await readBody(request);
    let body: unknown = text;
    let bodyIsJson = true;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      bodyIsJson = false;
    }
    requests.push({ method, path, headers: request.headers, body });
    for (const waiter of arrivals.filter((entry) => entry.count <= requests.length)) {
      arrivals.splice(arrivals.indexOf(waiter), 1);
      waiter.arrived();
    }
    const route = `${method} ${path}`;
    const nextTurn = (): ScriptedTurn => queue.shift() ?? responder?.(body) ?? defaultTurn;
    await options.handle({ request, response, route, body, bodyIsJson, disconnected, nextTurn });
  }

  const server = createServer((request, response) => {
    const disconnected = new AbortController();
    // A client that goes away before `end()` is an aborted upstream call (for example a cancelled turn).
    response.on('close', () => {
      if (!response.writableFinished) abortedRequests += 1;
      disconnected.abort();
    });
    receive(request, response, disconnected.signal).catch(() => {
      // A disconnect ends a scripted pause with an AbortError; there is no one left to answer.
      if (!disconnected.signal.aborted) response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}${options.baseURLPath}`,
    requests,
    script: (...turns) => void queue.push(...turns),
    replyWith: (chosen) => {
      responder = chosen;
    },
    get abortedRequests() {
      return abortedRequests;
    },
    received: (count) =>
      new Promise<void>((arrived) => {
        if (requests.length >= count) arrived();
        else arrivals.push({ count, arrived });
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The scripted wait before a turn's answer: `delayMs`, then its `gate`. False when the client left
 * during the wait (there is no one left to answer).
 */
export async function scriptedWait(turn: ScriptedTurn, disconnected: AbortSignal): Promise<boolean> {
  if (turn.delayMs !== undefined && turn.delayMs > 0) {
    try {
      await sleep(turn.delayMs, undefined, { signal: disconnected });
    } catch {
      return false;
    }
  }
  if (turn.gate) {
    const left = new Promise<void>((resolve) => disconnected.addEventListener('abort', () => resolve()));
    await Promise.race([turn.gate, left]);
  }
  return !disconnected.aborted;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
