import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { SandboxConfig } from '../config/config-schema.js';
import { runHostCommand } from './host-command.js';
import { RuncDriver } from './runc/runc-driver.js';
import { RunscDriver } from './runsc/runsc-driver.js';
import { BwrapDriver } from './bwrap/bwrap-driver.js';
import type { SandboxDriver } from './sandbox-driver.js';
import { sandboxRootId } from './writable-layer.js';

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

/** The Debian package each driver's tool comes from, for the error when it is missing. */
const debianPackages = { runc: 'runc', runsc: 'runsc', bwrap: 'bubblewrap' } as const;

/**
 * Picks the sandbox driver: the configured one, or with `auto` runc when the server runs as root and
 * runc is installed (the strongest boundary that needs no extra set-up, with every limit enforced),
 * else bwrap (no root needed; fewer limits, see the README). A configured driver that cannot run here
 * is an error naming what is missing, never a silent fallback.
 */
export async function selectDriver(config: SandboxConfig, dataDir: string): Promise<DriverChoice> {
  if (config.driver === 'none')
    return { driver: undefined, reason: 'containers are off (sandbox.driver is "none")' };
  const isRoot = process.getuid?.() === 0;
  const runDir = sandboxRunDir(dataDir);
  const auto = config.driver === 'auto';
  const why = (text: string) => (auto ? ` (auto: ${text})` : '');

  if (config.driver === 'runc' || (auto && isRoot)) {
    const runcVersion = await toolVersion('runc');
    if (runcVersion && isRoot) {
      return {
        driver: new RuncDriver({ runDir }),
        reason: `runc ${runcVersion}${why('running as root and runc is installed')}`,
      };
    }
    if (!auto) {
      if (!isRoot) throw new DriverUnavailableError('runc', 'it needs the server to run as root');
      throw missingTool('runc');
    }
  }
  if (config.driver === 'runsc') {
    if (!isRoot) throw new DriverUnavailableError('runsc', 'it needs the server to run as root');
    const version = await toolVersion('runsc');
    if (!version) throw missingTool('runsc');
    return { driver: new RunscDriver({ runDir }), reason: `runsc ${version} (gVisor, ptrace platform)` };
  }
  const bwrapVersion = await toolVersion('bwrap');
  if (!bwrapVersion) {
    if (!auto) throw missingTool('bwrap');
    return {
      driver: undefined,
      reason:
        'containers are off: neither runc (as root) nor bwrap is installed (Debian packages "runc", "bubblewrap")',
    };
  }
  const userNamespaces = await bwrapCanStart(isRoot);
  if (userNamespaces !== true) {
    const problem = `bwrap cannot create a user namespace here (${userNamespaces}); enable unprivileged user namespaces (sysctl user.max_user_namespaces)`;
    if (!auto) throw new DriverUnavailableError('bwrap', problem);
    return { driver: undefined, reason: `containers are off: ${problem}` };
  }
  const limits = isRoot
    ? 'as root: memory, process and CPU limits through cgroups; no disk quota'
    : 'not root: no memory, process, CPU or disk limits';
  return {
    driver: new BwrapDriver({ runDir: isRoot ? runDir : join(dataDir, 'sandbox', 'bwrap') }),
    reason: `bubblewrap ${bwrapVersion}${why(isRoot ? 'runc is not installed' : 'not running as root')}; ${limits}`,
  };
}

function missingTool(driver: keyof typeof debianPackages): DriverUnavailableError {
  const name = debianPackages[driver];
  return new DriverUnavailableError(
    driver,
    `${driver} is not installed (Debian package "${name}": apt-get install ${name})`,
  );
}

/** Starts one trivial sandbox the way the bwrap driver does (as root: as the sandbox's uid). */
async function bwrapCanStart(isRoot: boolean): Promise<true | string> {
  const bwrap = ['bwrap', '--unshare-all', '--unshare-user', '--ro-bind', '/', '/', 'true'];
  const [file, ...args] = isRoot
    ? ['setpriv', `--reuid=${sandboxRootId}`, `--regid=${sandboxRootId}`, '--clear-groups', '--', ...bwrap]
    : bwrap;
  try {
    await runHostCommand(file ?? 'bwrap', args);
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function toolVersion(tool: string): Promise<string | undefined> {
  try {
    const output = await runHostCommand(tool, ['--version']);
    return /(?:version|bubblewrap)\s+(\S+)/.exec(output)?.[1] ?? 'unknown version';
  } catch {
    return undefined;
  }
}

export class DriverUnavailableError extends Error {
  constructor(driver: string, why: string) {
    super(`The ${driver} sandbox driver cannot run here: ${why}.`);
  }
}
