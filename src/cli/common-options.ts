import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, loadConfig, type ConfigOverrides } from '../config/load-config.js';
import type { BerthConfig } from '../config/config-schema.js';

export interface DataOptions {
  readonly config?: string;
  readonly dataDir?: string;
}

/** `--config` and `--data-dir`, which every command that touches state takes. */
export function addDataOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON configuration file')
    .option('--data-dir <dir>', 'where Berth keeps its database (default ~/.berth or $BERTH_DATA_DIR)');
}

/** Loads the configuration or exits with the bad field named. */
export function loadConfigOrExit(
  options: DataOptions & { host?: string; port?: number; driver?: ConfigOverrides['driver'] },
): BerthConfig {
  try {
    return loadConfig({
      configFile: options.config,
      dataDir: options.dataDir,
      host: options.host,
      port: options.port,
      driver: options.driver,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`berth: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

/** Parses `--port`. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be a port number from 0 to 65535');
  }
  return port;
}
