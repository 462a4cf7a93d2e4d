import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { BerthError, UpstreamError } from '../../errors/berth-error.js';

/**
 * What a failed upstream call becomes. Aborts and Berth's own errors come back unchanged (an abort must
 * stay an abort so the engine can tell a cancelled turn from a failed one); everything else becomes an
 * UpstreamError that keeps the upstream's status, message, type and code.
 */
export function toChatUpstreamError(provider: string, error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || error instanceof APIUserAbortError || error instanceof BerthError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new UpstreamError(provider, `Provider '${provider}' did not answer in time.`, {
      status: 504,
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    const reason = error.cause instanceof Error ? `: ${error.cause.message}` : '.';
    return new UpstreamError(provider, `Could not connect to provider '${provider}'${reason}`, {
      status: 502,
      cause: error,
    });
  }
  if (error instanceof APIError) {
    // `instanceof` leaves the SDK's type parameters as `any`; these are their declared bounds.
    const failure = error as APIError;
    // The fields come from the upstream's JSON, whatever the SDK's types say, so each is checked.
    const type: unknown = failure.type;
    const code: unknown = failure.code;
    return new UpstreamError(provider, upstreamMessage(provider, failure), {
      status: failure.status ?? 502,
      // A mid-stream error has no HTTP status; its `type` may be absent or the SSE event name "error".
      ...(typeof type === 'string' && type !== 'error' ? { type } : {}),
      // llama.cpp puts the HTTP status (a number) in `code`; only string codes mean something.
      code: typeof code === 'string' ? code : null,
      cause: error,
    });
  }
  // For example malformed SSE JSON or a connection reset mid-stream: the upstream broke the protocol.
  const detail = error instanceof Error ? error.message : String(error);
  return new UpstreamError(provider, `Provider '${provider}' sent an invalid response: ${detail}`, {
    cause: error,
  });
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
