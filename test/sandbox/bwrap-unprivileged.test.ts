import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nobodyCanReadCheckout, runScriptAsNobody } from '../support/run-as-nobody.js';

/** True when uid 65534 can read this checkout and bwrap is installed. */
function readableByNobody(): boolean {
  if (!nobodyCanReadCheckout()) return false;
  try {
    execFileSync('bwrap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The server without root, as far as the tests (which run as root) can show it: a Node process as
// uid 65534 picks bwrap with `auto`, and its sessions work, with every limit reported unenforced.
const skipReason =
  process.getuid?.() !== 0
    ? ' (skipped: needs root, to become an unprivileged user)'
    : !readableByNobody()
      ? ' (skipped: uid 65534 cannot read this checkout, or bwrap is not installed)'
      : '';

describe.skipIf(skipReason !== '')(`bwrap without root${skipReason}`, () => {
  it('is what auto picks, runs sessions as root of their namespace and times commands out', () => {
    const result = runScriptAsNobody(join(import.meta.dirname, 'unprivileged-check.ts'));
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      driver: 'bwrap',
      capabilities: { memoryLimit: false, pidsLimit: false, cpuLimit: false, diskQuota: false },
      identity: '0\n/mnt/data\nCapEff: 0000000000000000\nSeccomp: 2\nmemory closed\n',
      timeout: { type: 'timeout' },
      after: '0\n',
    });
  });
});
