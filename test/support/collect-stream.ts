import type { ResponseStreamEvent } from 'openai/resources/responses/responses';

/**
 * Reads a streamed response (the official client's `responses.stream(…)`) to its end. Returns every
 * event in the order it came, and the final response the client assembled.
 */
export async function collectStream<Final>(
  stream: AsyncIterable<ResponseStreamEvent> & { finalResponse(): Promise<Final> },
): Promise<{ events: ResponseStreamEvent[]; final: Final }> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return { events, final: await stream.finalResponse() };
}
