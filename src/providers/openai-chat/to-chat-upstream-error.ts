import type { APIError } from 'openai';
import { toOpenAISdkUpstreamError } from '../openai-sdk-upstream-error.js';

/** What a failed Chat Completions call becomes; see `toOpenAISdkUpstreamError`. */
export function toChatUpstreamError(provider: string, error: unknown, signal: AbortSignal): unknown {
  return toOpenAISdkUpstreamError(provider, error, signal, (failure) => upstreamMessage(provider, failure));
}

/**
 * The upstream's own message. OpenAI, vLLM and Ollama send `{"error":{"message":…}}`; LM Studio and
 * some proxies send `{"error":"…"}`; a body without an `error` key reaches us with no message at all.
 */
function upstreamMessage(provider: string, error: APIError): string {
  const body: unknown = error.error;
  if (typeof body === 'string' && body !== '') return body;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const { message } = body;
    if (typeof message === 'string' && message !== '') return message;
  }
  return error.status === undefined
    ? `Provider '${provider}' failed mid-stream.`
    : `Provider '${provider}' answered HTTP ${error.status} without an error message.`;
}
