import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../errors/berth-error.js';
import { mapAnthropicError } from './map-anthropic-error.js';

const live = new AbortController().signal;

describe('mapAnthropicError', () => {
  it('gives an error sent inside a stream the status its type stands for', () => {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const streamed = new APIError(undefined, body, undefined, new Headers(), 'overloaded_error');

    const mapped = mapAnthropicError('anthropic', streamed, live);
    expect(mapped).toBeInstanceOf(UpstreamError);
    expect(mapped).toMatchObject({ status: 529, message: 'Overloaded', type: 'overloaded_error' });
  });

  it('keeps the upstream error code from error.details', () => {
    const body = {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'Too big',
        details: { error_code: 'image_dimensions_too_large' },
      },
    };
    const rejected = APIError.generate(400, body, undefined, new Headers());

    expect(mapAnthropicError('anthropic', rejected, live)).toMatchObject({
      status: 400,
      message: 'Too big',
      wireCode: 'image_dimensions_too_large',
    });
  });

  it('reports a connection failure as a 502', () => {
    const failed = new APIConnectionError({ message: 'Connection error.' });
    expect(mapAnthropicError('anthropic', failed, live)).toMatchObject({
      status: 502,
      provider: 'anthropic',
    });
  });

  it('lets an abort through unwrapped', () => {
    const controller = new AbortController();
    controller.abort();
    const aborted = new APIUserAbortError();
    expect(mapAnthropicError('anthropic', aborted, controller.signal)).toBe(aborted);
    const cutOff = new UpstreamError(
      'anthropic',
      'The Anthropic stream ended before its message_stop event.',
    );
    expect(mapAnthropicError('anthropic', cutOff, controller.signal)).toBe(controller.signal.reason);
  });
});
