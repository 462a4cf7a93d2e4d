import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { BerthError, UpstreamError } from '../../errors/berth-error.js';

/**
 * What a failed upstream call becomes. Aborts and Berth's own errors come back unchanged (an abort must
 * stay an abort so the engine can tell a cancelled turn from a failed one); everything else becomes an
 * UpstreamError that keeps the upstream's status, message, type and code.
 */
export function toOpenAIUpstreamError(provider: string, error: unknown, signal: AbortSignal): unknown {
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
    // HTTP errors carry the body's `error` object; an SSE `error` event carries the event itself, whose
    // `type` is the event name "error" rather than an error type.
    const body = error.error as { message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : error.message;
    return new UpstreamError(provider, message, {
      status: typeof error.status === 'number' ? error.status : 502,
      ...(typeof error.type === 'string' && error.type !== 'error' ? { type: error.type } : {}),
      code: typeof error.code === 'string' ? error.code : null,
      cause: error,
    });
  }
  // For example malformed SSE JSON: the upstream broke the protocol.
  const detail = error instanceof Error ? error.message : String(error);
  return new UpstreamError(provider, `Provider '${provider}' sent an invalid response: ${detail}`, {
    cause: error,
  });
}
