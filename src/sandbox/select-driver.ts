import { createHash } from 'node:crypto';
import type { SandboxConfig } from '../config/config-schema.js';
import { runHostCommand } from './host-command.js';
import { RuncDriver } from './runc/runc-driver.js';
import type { SandboxDriver } from './sandbox-driver.js';

export interface DriverChoice {
  readonly driver: SandboxDriver | undefined;
  /** Why this driver (or none), printed at start-up. */
  readonly reason: string;
}

/**
 * Host directory for one server's sandbox runtime state: mount points and runtime state on tmpfs,
 * named after the data directory so two servers on one host (or two test runs) never touch each
 * other's sandboxes.
 */
export function sandboxRunDir(dataDir: string): string {
  const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return `/run/berth/${tag}`;
}

/**
 * Picks the sandbox driver: the configured one, or with `auto` runc when the server runs as root
 * (the strongest boundary that needs no extra set-up), and none otherwise until the bwrap driver can
 * take over. A configured driver that cannot run here is an error, not a silent fallback.
 */
export async function selectDriver(config: SandboxConfig, dataDir: string): Promise<DriverChoice> {
  if (config.driver === 'none')
    return { driver: undefined, reason: 'containers are off (sandbox.driver is "none")' };
  const isRoot = process.getuid?.() === 0;
  const runDir = sandboxRunDir(dataDir);
  const runcVersion = await toolVersion('runc');
  if (config.driver === 'runc' || (config.driver === 'auto' && isRoot && runcVersion)) {
    if (!isRoot) throw new DriverUnavailableError('runc', 'it needs the server to run as root');
    if (!runcVersion)
      throw new DriverUnavailableError('runc', 'runc is not installed (Debian package "runc")');
    return {
      driver: new RuncDriver({ runDir }),
      reason: `runc ${runcVersion}${config.driver === 'auto' ? ' (auto: running as root and runc is installed)' : ''}`,
    };
  }
  if (config.driver === 'auto') {
    return {
      driver: undefined,
      reason: isRoot
        ? 'containers are off: runc is not installed (Debian package "runc")'
        : 'containers are off: the runc driver needs root',
    };
  }
  throw new DriverUnavailableError(config.driver, 'this driver is not built yet');
}

async function toolVersion(tool: string): Promise<string | undefined> {
  try {
    const output = await runHostCommand(tool, ['--version']);
    return /version\s+(\S+)/.exec(output)?.[1] ?? 'unknown version';
  } catch {
    return undefined;
  }
}

export class DriverUnavailableError extends Error {
  constructor(driver: string, why: string) {
    super(`The ${driver} sandbox driver cannot run here: ${why}.`);
  }
}
