import { unixSeconds, type Clock } from '../clock.js';
import { BerthError } from '../errors/berth-error.js';
import { toUsage, type ResponseBody } from './response-object.js';
import type { TurnFinish } from './tool-loop.js';

/** Why a run was stopped from outside. */
export type StopReason = 'cancel' | 'disconnect' | 'shutdown';

/** The terminal stream event a settled response ends with. */
export type TerminalEvent = 'response.completed' | 'response.incomplete' | 'response.failed';

/**
 * Settles a response whose loop ran to its end: `incomplete` when the model was cut off
 * (`max_output_tokens`, `content_filter`), else `completed`. Returns the event that ends its stream.
 */
export function settleFinished(
  body: ResponseBody,
  finish: TurnFinish | undefined,
  clock: Clock,
): TerminalEvent {
  const reason = finish?.reason ?? 'stop';
  body.usage = finish ? toUsage(finish.usage) : null;
  if (reason === 'length' || reason === 'content_filter') {
    body.status = 'incomplete';
    body.incomplete_details = { reason: reason === 'length' ? 'max_output_tokens' : 'content_filter' };
    return 'response.incomplete';
  }
  body.status = 'completed';
  body.completed_at = unixSeconds(clock);
  return 'response.completed';
}

/**
 * Settles a response that failed or was stopped. A cancel or a disconnect ends it `cancelled`, with no
 * error; a shutdown, or any error, ends it `failed` with the error its client is told (an unexpected
 * error is reported as OpenAI's generic `server_error`, keeping the cause for the log). Returns that
 * error, or undefined for a cancelled response.
 */
export function settleFailed(
  body: ResponseBody,
  error: unknown,
  stopReason: StopReason | undefined,
): BerthError | undefined {
  if (stopReason === 'cancel' || stopReason === 'disconnect') {
    body.status = 'cancelled';
    return undefined;
  }
  const failure =
    stopReason === 'shutdown'
      ? new BerthError('server_shutting_down', 'The server shut down before this response finished.')
      : error instanceof BerthError
        ? error
        : new BerthError('server_error', 'The server had an error while processing your request.', {
            cause: error,
          });
  body.status = 'failed';
  body.error = { code: failure.wireCode ?? failure.code, message: failure.message };
  return failure;
}
