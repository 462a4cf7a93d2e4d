import { createLogger, type Logger } from '../src/logger.js';

/**
 * The benchmarks' server logger: warnings and errors only, as JSON on stderr. A failed request's cause
 * is in the server's log, not in its answer, while info lines (the access log) would flood a run of
 * thousands.
 */
export function warningsOnlyLogger(): Logger {
  return createLogger({ level: 'warn' });
}
