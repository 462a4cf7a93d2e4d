import type { Command } from 'commander';
import { createJsonLogger } from '../logger.js';
import { startRuntime, StartupError } from '../runtime.js';
import { addDataOptions, loadConfigOrExit, parsePort, type DataOptions } from './common-options.js';

export function registerServeCommand(program: Command): void {
  addDataOptions(
    program
      .command('serve')
      .description('start the server')
      .option('--host <host>', 'address to listen on (default 127.0.0.1)')
      .option('--port <port>', 'port to listen on (default 8787)', parsePort),
  ).action(async (options: DataOptions & { host?: string; port?: number }) => {
    const config = loadConfigOrExit(options);
    let runtime;
    try {
      runtime = await startRuntime(config, { logger: createJsonLogger() });
    } catch (error) {
      if (error instanceof StartupError) {
        console.error(`berth: ${error.message}`);
        process.exit(1);
      }
      throw error;
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
