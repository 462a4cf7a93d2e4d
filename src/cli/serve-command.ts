import { Option, type Command } from 'commander';
import { createLogger, logLevels, type LogLevel } from '../logger.js';
import { startRuntime, StartupError } from '../runtime/start-runtime.js';
import { packageVersion } from '../package-version.js';
import { createTracing } from '../tracing.js';
import {
  addDataOptions,
  addInitOption,
  loadConfigOrExit,
  parsePort,
  requireDatabaseOrExit,
  type DataOptions,
} from './common-options.js';

/** What `--driver` accepts, as `sandbox.driver` in the config file: auto is runc as root, else bwrap. */
const sandboxDrivers = ['auto', 'runc', 'runsc', 'bwrap', 'none'] as const;

type ServeOptions = DataOptions & {
  init?: boolean;
  host?: string;
  port?: number;
  driver?: (typeof sandboxDrivers)[number];
  logLevel?: LogLevel;
  logFormat?: 'json' | 'pretty';
};

export function registerServeCommand(program: Command): void {
  addInitOption(
    addDataOptions(
      program
        .command('serve')
        .description('start the server')
        .option('--host <host>', 'address to listen on (default 127.0.0.1)')
        .option('--port <port>', 'port to listen on (default 8787)', parsePort)
        .addOption(new Option('--driver <name>', 'sandbox driver (default auto)').choices(sandboxDrivers))
        .addOption(
          new Option('--log-level <level>', 'least severe log level written (default info)').choices(
            logLevels,
          ),
        )
        .addOption(
          new Option(
            '--log-format <format>',
            'log lines on stderr: json, or pretty for a person (default pretty on a terminal, else json)',
          ).choices(['json', 'pretty'] as const),
        ),
    ),
  ).action(async (options: ServeOptions) => {
    const config = loadConfigOrExit(options);
    requireDatabaseOrExit(config, options);
    let runtime;
    try {
      const logger = createLogger({
        level: options.logLevel ?? 'info',
        format: options.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json'),
      });
      runtime = await startRuntime(config, { logger, tracing: createTracing(process.env, packageVersion()) });
    } catch (error) {
      // One line that says what to do, never a stack trace: every start-up failure is the operator's
      // to fix (a port in use, a data directory it cannot write, a missing runtime).
      const reason = error instanceof Error ? error.message : String(error);
      console.error(error instanceof StartupError ? `berth: ${reason}` : `berth: could not start: ${reason}`);
      process.exit(1);
    }
    const providers = config.providers.map((provider) => `${provider.name} (${provider.kind})`).join(', ');
    const auth = runtime.keyless
      ? 'no API keys exist, so requests without a key are accepted (loopback only); create one with `berth keys create`'
      : 'API key required';
    console.log(
      [
        `Berth listening on ${runtime.url}`,
        `  data: ${config.dataDir}`,
        `  providers: ${providers || 'none configured (set OPENAI_API_KEY, ANTHROPIC_API_KEY or use --config)'}`,
        `  auth: ${auth}`,
        `  sandbox: ${runtime.sandbox.driver ? runtime.sandbox.driver.name : 'none'} — ${runtime.sandbox.reason}`,
        ...(runtime.metricsUrl ? [`  metrics: ${runtime.metricsUrl}`] : []),
      ].join('\n'),
    );
    const shutdown = (signal: string): void => {
      console.log(`berth: ${signal} received, shutting down`);
      runtime
        .close()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          console.error('berth: shutdown failed', error);
          process.exit(1);
        });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
