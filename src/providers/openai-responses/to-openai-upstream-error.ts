import type { APIError } from 'openai';
import { toOpenAISdkUpstreamError } from '../openai-sdk-upstream-error.js';

/** What a failed Responses API call becomes; see `toOpenAISdkUpstreamError`. */
export function toOpenAIUpstreamError(provider: string, error: unknown, signal: AbortSignal): unknown {
  return toOpenAISdkUpstreamError(provider, error, signal, upstreamMessage);
}

/**
 * HTTP errors carry the body's `error` object; an SSE `error` event carries the event itself. Either way
 * its `message` is the upstream's own; without one, the SDK's summary of the failure stands in.
 */
function upstreamMessage(error: APIError): string {
  const body: unknown = error.error;
  const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : undefined;
  return typeof message === 'string' ? message : error.message;
}
