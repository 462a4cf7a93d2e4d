import { execFileSync } from 'node:child_process';
import type { SandboxDriverName } from '../../src/config/config-schema.js';

/**
 * The sandbox drivers this machine can run, for suites that run once per driver. CI installs them
 * all (`.ci/run`); a driver whose tool is missing here is left out with a note on stderr rather than
 * failing every test, and the contract suite fails if none is available at all.
 */
export function sandboxDriversHere(): SandboxDriverName[] {
  const all = ['runc', 'runsc', 'bwrap'] as const;
  const isRoot = process.getuid?.() === 0;
  const available: Record<SandboxDriverName, boolean> = {
    runc: isRoot && installed('runc'),
    runsc: isRoot && installed('runsc'),
    bwrap: installed('bwrap'),
  };
  const missing = all.filter((driver) => !available[driver]);
  if (missing.length > 0) process.stderr.write(`sandbox drivers not available here: ${missing.join(', ')}\n`);
  // BERTH_TEST_DRIVERS=runsc,bwrap narrows a local run to some drivers; CI runs every one it has.
  const wanted = process.env.BERTH_TEST_DRIVERS?.split(',').filter(Boolean);
  return all.filter((driver) => available[driver] && (!wanted || wanted.includes(driver)));
}

/** Whether `tool --version` runs here. */
export function installed(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
