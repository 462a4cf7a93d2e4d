import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { BerthError } from '../../errors/berth-error.js';
import { toErrorEnvelope } from '../../errors/error-envelope.js';
import type { ResponseRun } from '../../engine/response-run.js';
import { RecentChains } from '../../engine/recent-chains.js';
import type { AppContext } from '../app-context.js';
import { checkJsonShape, type JsonShapeLimits } from '../../validation/json-shape-limits.js';

/** How many `store:false` responses one socket remembers for chaining; older ones fall out. */
const localChainLimit = 32;

/**
 * WebSocket mode on `/v1/responses`: the client sends `response.create` messages on one socket and
 * receives the same events SSE would carry. Requests with the same `stream_id` (a lane) run one after
 * another, lanes run side by side, and every event of a lane's response echoes its `stream_id`. A
 * `store:false` response can be continued with `previous_response_id` on the same socket, because the
 * socket keeps its context in memory — nothing of it is written.
 */
export function registerResponsesWebSocket(app: FastifyInstance, context: AppContext): void {
  app.route({
    method: 'GET',
    url: '/v1/responses',
    // A plain GET (no upgrade) is answered in the error envelope, not the plugin's empty 404.
    handler: function notUpgraded() {
      throw new BerthError(
        'upgrade_required',
        'GET /v1/responses is the WebSocket endpoint: connect with `Upgrade: websocket`. Responses are created with POST /v1/responses.',
      );
    },
    wsHandler: function responsesSocket(socket: WebSocket, request: FastifyRequest) {
      const localChains = new RecentChains(localChainLimit);
      const lanes = new Map<string, Promise<void>>();
      const running = new Set<ResponseRun>();
      let closed = false;
      socket.on('close', () => {
        closed = true;
        for (const run of running) run.stop('disconnect');
      });
      socket.on('message', (data, isBinary) => {
        const text = isBinary ? '' : Buffer.from(data as Buffer).toString('utf8');
        let streamId: string | undefined;
        let message: Record<string, unknown> | undefined;
        try {
          message = parseMessage(text, context.jsonShapeLimits);
          streamId = typeof message.stream_id === 'string' ? message.stream_id : undefined;
        } catch (error) {
          sendError(error, undefined);
          return;
        }
        const lane = streamId ?? '';
        const parsed = message;
        const next = (lanes.get(lane) ?? Promise.resolve()).then(() => handleCreate(parsed, streamId));
        lanes.set(lane, next);
        void next.then(() => {
          if (lanes.get(lane) === next) lanes.delete(lane);
        });
      });

      const send = (message: Record<string, unknown>, streamId: string | undefined): void => {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(JSON.stringify(streamId === undefined ? message : { ...message, stream_id: streamId }));
      };

      function sendError(error: unknown, streamId: string | undefined): void {
        const { status, body } = toErrorEnvelope(error);
        send({ type: 'error', status, error: body.error }, streamId);
      }

      async function handleCreate(
        message: Record<string, unknown>,
        streamId: string | undefined,
      ): Promise<void> {
        // Messages still queued when the client left are dropped: nobody would read their answers.
        if (closed) return;
        const previous =
          typeof message.previous_response_id === 'string' ? message.previous_response_id : null;
        try {
          const { type: _type, stream_id: _streamId, generate, ...body } = message;
          if (body.background === true) {
            throw new BerthError('unsupported_parameter', 'background is not supported over WebSocket.', {
              param: 'background',
            });
          }
          const run = await context.responses.create(
            request.projectId,
            { ...body, stream: true },
            { localChain: (id) => localChains.get(request.projectId, id), generate: generate !== false },
          );
          running.add(run);
          if (closed) run.stop('disconnect');
          for await (const event of run.eventsAfter(-1)) send(event, streamId);
          await run.finished;
          running.delete(run);
          if (run.body.status === 'failed') forgetPrevious(previous);
          else if (!run.prepared.store) remember(run);
        } catch (error) {
          forgetPrevious(previous);
          sendError(error, streamId);
        }
      }

      /**
       * A continuation that failed evicts the response it continued from this socket's memory, as
       * OpenAI's WebSocket mode does: the client cannot know how far the failed turn got, so continuing
       * the same response again must fail with `previous_response_not_found` rather than quietly fork
       * the chain. (Stored responses stay retrievable from the store.)
       */
      function forgetPrevious(previous: string | null): void {
        if (previous !== null) localChains.forget(request.projectId, previous);
      }

      function remember(run: ResponseRun): void {
        localChains.remember(run.prepared.projectId, run.id, [
          ...run.prepared.contextItems,
          ...run.prepared.inputItems,
          ...run.outputItems,
        ]);
      }
    },
  });
}

function parseMessage(text: string, limits: JsonShapeLimits): Record<string, unknown> {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new BerthError('invalid_json', 'The message is not valid JSON.');
  }
  checkJsonShape(message, limits);
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new BerthError('invalid_request', 'A message must be a JSON object.');
  }
  const record = message as Record<string, unknown>;
  if (record.type !== 'response.create') {
    throw new BerthError('invalid_value', `Unknown client event type '${String(record.type)}'.`, {
      param: 'type',
    });
  }
  return record;
}
