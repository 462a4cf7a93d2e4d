import { pino, type DestinationStream, type Level } from 'pino';
import pretty from 'pino-pretty';

/** Structured logging. Injected; library code never writes to the console itself. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  /** The access log's line for one answered request (`request` at info). */
  access(line: AccessLine): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the access log says of a request: never its body, headers or query string. */
export interface AccessLine {
  readonly requestId: string;
  readonly method: string;
  /** The route as declared (`/v1/responses/:id`); null when none matched. */
  readonly route: string | null;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly project?: string;
}

/** The levels `--log-level` takes; `silent` logs nothing. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** The least severe level written (`info` by default: the access log and everything worse). */
  readonly level?: LogLevel;
  /** `json`: one JSON object per line; `pretty`: coloured lines for a person at a terminal. */
  readonly format?: 'json' | 'pretty';
  /** Where lines go: stderr by default, so stdout stays the CLI's. */
  readonly destination?: DestinationStream;
}

/**
 * Field names whose values never reach a log line whatever a caller passes: keys, tokens, secrets.
 * Berth logs no request body, header or prompt in the first place; this is the net under that.
 */
const redactedPaths = [
  'authorization',
  'apiKey',
  'api_key',
  'secret',
  'password',
  'token',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  '*.password',
  '*.token',
];

/**
 * Logs through pino (Fastify's own logger, asynchronous and cheap): JSON lines with `level` (its
 * name), `time` (ISO), the fields and `message`, the shape log shippers read without
 * configuration. Pretty output is pino-pretty in the same thread, for a person reading a terminal.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    options.destination ??
    (options.format === 'pretty'
      ? pretty({ destination: 2, sync: true, messageKey: 'message', translateTime: 'SYS:HH:MM:ss.l' })
      : bufferedStderr());
  const settings = {
    level: options.level ?? 'info',
    base: null,
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const instance = pino({ ...settings, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
  // The access line's fields are fixed and hold nothing secret, so it skips redaction, which cost as
  // much as writing the line (a CPU profile of the hot path: 0.24 s of 40 s, one line per request).
  const accessLog = pino(settings, destination);
  return {
    info: (message, fields) => instance.info(fields ?? {}, message),
    access: (line) => accessLog.info(line, 'request'),
    warn: (message, fields) => instance.warn(fields ?? {}, message),
    error: (message, fields) => instance.error(fields ?? {}, message),
  };
}

/** How many bytes of log lines are gathered before they are written, and how long at most. */
const bufferBytes = 4096;
const bufferMs = 1000;

/**
 * stderr written in 4 KB batches, and at least every second: one write per access line was the
 * largest cost logging added to a request (a `writev` each, 7 % of the server's CPU at 600
 * requests/s). pino flushes what is left when the process exits.
 */
function bufferedStderr(): DestinationStream {
  const destination = pino.destination({ dest: 2, sync: false, minLength: bufferBytes });
  setInterval(() => {
    // Nothing to write, or a write still under way: the next tick or the next line takes it.
    try {
      destination.flush();
    } catch {
      // flush() throws only while the stream is not ready yet or already closed.
    }
  }, bufferMs).unref();
  return destination;
}

export const silentLogger: Logger = { info() {}, access() {}, warn() {}, error() {} };
