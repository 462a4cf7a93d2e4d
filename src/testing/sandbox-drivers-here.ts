import { execFileSync } from 'node:child_process';
import type { SandboxDriverName } from '../config/config-schema.js';

/**
 * The sandbox drivers this machine can run, for suites that run once per driver. CI installs them
 * all (`.ci/run`); a driver whose tool is missing here is left out with a note on stderr rather than
 * failing every test, and the contract suite fails if none is available at all.
 */
export function sandboxDriversHere(): SandboxDriverName[] {
  const drivers: SandboxDriverName[] = [];
  const isRoot = process.getuid?.() === 0;
  if (isRoot && installed('runc')) drivers.push('runc');
  const missing = (['runc'] as const).filter((driver) => !drivers.includes(driver));
  if (missing.length > 0) process.stderr.write(`sandbox drivers not available here: ${missing.join(', ')}\n`);
  return drivers;
}

function installed(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
