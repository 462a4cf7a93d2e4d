import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { BerthError } from '../../errors/berth-error.js';
import { toErrorEnvelope } from '../../errors/error-envelope.js';
import type { ResponseRun } from '../../engine/response-run.js';
import type { StoredItem } from '../../store/store.js';
import type { AppContext } from '../app-context.js';

/** How many `store:false` responses one socket remembers for chaining; older ones fall out. */
const localChainLimit = 32;

/**
 * WebSocket mode on `/v1/responses`: the client sends `response.create` messages on one socket and
 * receives the same events SSE would carry. Requests on a socket run one after another (FIFO), and a
 * `store:false` response can be continued with `previous_response_id` on the same socket, because the
 * socket keeps its context in memory — nothing of it is written.
 */
export function registerResponsesWebSocket(app: FastifyInstance, context: AppContext): void {
  app.get(
    '/v1/responses',
    { websocket: true },
    function responsesSocket(socket: WebSocket, request: FastifyRequest) {
      const localChains = new Map<string, readonly StoredItem[]>();
      let queue = Promise.resolve();
      let current: ResponseRun | undefined;
      socket.on('close', () => current?.stop('disconnect'));
      socket.on('message', (data, isBinary) => {
        const text = isBinary ? '' : Buffer.from(data as Buffer).toString('utf8');
        queue = queue.then(() => handleMessage(text));
      });

      const send = (message: Record<string, unknown>, streamId: string | undefined): void => {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(JSON.stringify(streamId === undefined ? message : { ...message, stream_id: streamId }));
      };

      async function handleMessage(text: string): Promise<void> {
        let streamId: string | undefined;
        try {
          const message = parseMessage(text);
          streamId = typeof message.stream_id === 'string' ? message.stream_id : undefined;
          const { type: _type, stream_id: _streamId, ...body } = message;
          if (body.background === true) {
            throw new BerthError('unsupported_parameter', 'background is not supported over WebSocket.', {
              param: 'background',
            });
          }
          const run = await context.responses.create(
            request.projectId,
            { ...body, stream: true },
            { localChain: (id) => localChains.get(id) },
          );
          current = run;
          for await (const event of run.eventsAfter(-1)) send(event, streamId);
          await run.finished;
          current = undefined;
          if (!run.prepared.store) remember(run);
        } catch (error) {
          const { status, body } = toErrorEnvelope(error);
          send({ type: 'error', status, error: body.error }, streamId);
        }
      }

      function remember(run: ResponseRun): void {
        const output = run.body.output.map((item) => ({
          id: (item as { id: string }).id,
          item: item as StoredItem['item'],
        }));
        localChains.set(run.id, [...run.prepared.contextItems, ...run.prepared.inputItems, ...output]);
        if (localChains.size > localChainLimit) {
          const oldest = localChains.keys().next().value;
          if (oldest !== undefined) localChains.delete(oldest);
        }
      }
    },
  );
}

function parseMessage(text: string): Record<string, unknown> {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new BerthError('invalid_json', 'The message is not valid JSON.');
  }
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
