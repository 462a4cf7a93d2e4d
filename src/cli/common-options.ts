import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { ConfigError, defaultDataDir, loadConfig, type ConfigOverrides } from '../config/load-config.js';
import { databasePath } from '../runtime/start-runtime.js';
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

/** `--init`, for the commands that open the database (see `requireDatabaseOrExit`). */
export function addInitOption(command: Command): Command {
  return command.option('--init', 'create a new, empty database in the data directory if it holds none');
}

/** Loads the configuration or exits with the bad field named (status 2). */
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

/** Exits (status 1) unless the data directory holds a database or may get one (`checkDataDirectory`). */
export function requireDatabaseOrExit(config: BerthConfig, options: { readonly init?: boolean }): void {
  const problem = checkDataDirectory(config.dataDir, options.init === true);
  if (!problem) return;
  console.error(`berth: ${problem}`);
  process.exit(1);
}

/**
 * Why the data directory cannot be used, or undefined when it can. A directory named on purpose
 * (`--data-dir`, the config, `$BERTH_DATA_DIR`) that holds no database is refused unless `--init`
 * asks for one: a mistyped path otherwise became a new, empty server — no keys (so keyless), no
 * history — with nothing to say so. The default directory is created on first use, as before.
 */
function checkDataDirectory(dataDir: string, init: boolean): string | undefined {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    return `the data directory ${dataDir} is not a directory.`;
  if (init || existsSync(databasePath(dataDir)) || dataDir === defaultDataDir()) return undefined;
  return `${dataDir} holds no Berth database. Check the path; to create a new database there, run the command again with --init.`;
}

/** Parses `--port`. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be a port number from 0 to 65535');
  }
  return port;
}
