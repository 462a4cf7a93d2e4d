import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runHostCommand } from './host-command.js';

/** How long a driver's tool may take to print its version before the driver counts as unusable. */
const probeTimeoutMs = 5_000;

/**
 * The readiness check of a driver: its tool still runs (it was not removed or broken by an upgrade
 * since start-up) and the directory its sandboxes' runtime state goes to can still be written (the
 * nearest existing one of it and its parents: nothing is created here). `access` reports a read-only
 * file system even to root.
 */
export async function probeDriverTool(tool: string, runDir: string): Promise<void> {
  await runHostCommand(tool, ['--version'], { timeoutMs: probeTimeoutMs });
  let directory = runDir;
  for (;;) {
    try {
      await access(directory, constants.W_OK);
      return;
    } catch (error) {
      const parent = dirname(directory);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === directory) throw error;
      directory = parent;
    }
  }
}
