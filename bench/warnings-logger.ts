import { createJsonLogger, type Logger } from '../src/logger.js';

/**
 * The benchmarks' server logger: warnings and errors only, as JSON on stderr. A failed request's cause
 * is in the server's log, not in its answer, while info lines would flood a run of thousands.
 */
export function warningsOnlyLogger(): Logger {
  const log = createJsonLogger();
  return {
    info: () => undefined,
    warn: (message, fields) => log.warn(message, fields),
    error: (message, fields) => log.error(message, fields),
  };
}
