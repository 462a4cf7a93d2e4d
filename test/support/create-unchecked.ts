import type OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';

/**
 * Sends `body` over a minimal create request (`input: 'x'` to `oai/gpt-5`), past the client's types,
 * as a client that gets the wire wrong would. Returns the client's promise, for `rejects` assertions.
 */
export function createUnchecked(client: OpenAI, body: Record<string, unknown>): Promise<Response> {
  return client.responses.create({
    model: 'oai/gpt-5',
    input: 'x',
    ...body,
  } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
}
