import { BerthError } from './berth-error.js';

/** OpenAI's error body: `{"error":{"message","type","param","code"}}`. */
export interface ErrorEnvelope {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/**
 * The one place an error becomes OpenAI's error envelope and an HTTP status. Anything that is not a
 * BerthError is an internal fault: its message is not shown (it may hold paths or secrets).
 */
export function toErrorEnvelope(error: unknown): { status: number; body: ErrorEnvelope } {
  if (error instanceof BerthError) {
    return {
      status: error.status,
      body: { error: { message: error.message, type: error.type, param: error.param, code: error.wireCode } },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        param: null,
        code: 'server_error',
      },
    },
  };
}
