import { pino, type DestinationStream, type Level } from 'pino';
import pretty from 'pino-pretty';

/** Structured logging. Injected; library code never writes to the console itself. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
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
  const instance = pino(
    {
      level: options.level ?? 'info',
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    destination,
  );
  return {
    info: (message, fields) => instance.info(fields ?? {}, message),
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

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
