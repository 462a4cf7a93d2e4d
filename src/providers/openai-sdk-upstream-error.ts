import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { BerthError, UpstreamError } from '../errors/berth-error.js';

/**
 * What a failed call through the `openai` SDK becomes. Aborts and Berth's own errors come back
 * unchanged (an abort must stay an abort so the engine can tell a cancelled turn from a failed one);
 * everything else becomes an UpstreamError that keeps the upstream's status, message, type and code.
 * `messageOf` reads the upstream's message from an HTTP or mid-stream error, whose body differs by
 * protocol and server.
 */
export function toOpenAISdkUpstreamError(
  provider: string,
  error: unknown,
  signal: AbortSignal,
  messageOf: (error: APIError) => string,
): unknown {
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
    return new UpstreamError(provider, messageOf(failure), {
      status: typeof failure.status === 'number' ? failure.status : 502,
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
