import {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { BerthError, UpstreamError } from '../../errors/berth-error.js';

/**
 * The HTTP status each Anthropic error type is sent with. An error that arrives inside a stream
 * (an SSE `error` event after a 200) has no status of its own, so its type says which it would be.
 */
const statusByErrorType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  memory_path_conflict_error: 409,
  memory_precondition_failed_error: 412,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * Turns whatever an Anthropic SDK call threw into the error the engine expects: an abort stays an
 * abort (the SDK ends an aborted stream quietly, so the signal's reason stands in for it), an API error
 * keeps the upstream's status, message, type and code, and a connection failure becomes a 502.
 */
export function mapAnthropicError(provider: string, error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return error instanceof APIUserAbortError ? error : (signal.reason as unknown);
  if (error instanceof BerthError || error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new UpstreamError(provider, 'The request to Anthropic timed out.', { status: 502, cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new UpstreamError(provider, `Could not reach Anthropic: ${error.message}`, {
      status: 502,
      cause: error,
    });
  }
  if (error instanceof APIError) {
    // `instanceof` on the generic class yields `any` type arguments; pin them to the defaults.
    const apiError = error as APIError;
    const type = apiError.type ?? undefined;
    return new UpstreamError(provider, apiError.apiMessage ?? apiError.message, {
      status: apiError.status ?? (type === undefined ? undefined : statusByErrorType[type]) ?? 502,
      ...(type === undefined ? {} : { type }),
      code: apiError.errorCode,
      cause: apiError,
    });
  }
  if (error instanceof AnthropicError) {
    return new UpstreamError(provider, error.message, { status: 502, cause: error });
  }
  return error;
}
