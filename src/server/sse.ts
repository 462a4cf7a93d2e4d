import type { ServerResponse } from 'node:http';
import type { StreamEvent } from '../engine/stream-event.js';

/**
 * Writes events as OpenAI's SSE (`event: <type>` + `data: <json>`, no `[DONE]`), waiting for the
 * socket to drain when the client reads slowly. Returns false if the client went away first.
 */
export async function writeEventStream(
  response: ServerResponse,
  events: AsyncIterable<StreamEvent> | Iterable<StreamEvent>,
  headers: Record<string, string>,
): Promise<boolean> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // Reverse proxies (nginx) buffer responses by default, which would hold events back.
    'x-accel-buffering': 'no',
    ...headers,
  });
  let open = true;
  response.on('close', () => {
    open = false;
  });
  for await (const event of events) {
    if (!open) return false;
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    if (!response.write(frame)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.on('drain', done);
        response.on('close', done);
      });
    }
  }
  response.end();
  return open;
}
