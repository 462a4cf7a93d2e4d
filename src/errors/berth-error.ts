import { errorCodes, type ErrorCode } from './error-codes.js';

export interface BerthErrorOptions {
  /** The request field at fault, reported as `param` (for example `input[0].content`). */
  readonly param?: string | null;
  /** Overrides the registry's HTTP status (used to preserve an upstream's status). */
  readonly status?: number;
  /** Overrides the registry's OpenAI error `type` (used to preserve an upstream's type). */
  readonly type?: string;
  /** Reported `code` when it must differ from the registry key (for example an upstream's own code). */
  readonly wireCode?: string | null;
  readonly cause?: unknown;
}

/**
 * The root of every error Berth raises on purpose. `code` is stable and comes from one registry; user
 * errors carry a 4xx status and upstream or system errors a 5xx one.
 */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly wireCode: string | null;

  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.type = options.type ?? errorCodes[code].type;
    this.param = options.param ?? null;
    this.wireCode = options.wireCode === undefined ? code : options.wireCode;
  }

  /** True for errors caused by the request (4xx), false for upstream and system failures. */
  get isUserError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** An upstream model provider failed; keeps the upstream's status and message for the client. */
export class UpstreamError extends BerthError {
  readonly provider: string;

  constructor(
    provider: string,
    message: string,
    options: { status?: number; type?: string; code?: string | null; cause?: unknown } = {},
  ) {
    super('upstream_error', message, {
      status: options.status ?? 502,
      type: options.type ?? 'server_error',
      wireCode: options.code ?? 'upstream_error',
      cause: options.cause,
    });
    this.name = 'UpstreamError';
    this.provider = provider;
  }
}

/** A 404 that reads the same for an unknown id and for another project's id (no existence leak). */
export function notFound(kind: string, id: string, param: string | null = null): BerthError {
  return new BerthError('not_found', `No ${kind} found with id '${id}'.`, { param });
}
