import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** True when uid 65534 can read this checkout (CI's clone may sit under a private home). */
function readableByNobody(): boolean {
  try {
    execFileSync('setpriv', [...nobody, 'test', '-r', join(process.cwd(), 'package.json')]);
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
    const home = mkdtempSync(join(tmpdir(), 'berth-nobody-home-'));
    try {
      execFileSync('chown', ['65534:65534', home]);
      const result = spawnSync(
        'setpriv',
        [
          ...nobody,
          'env',
          `HOME=${home}`,
          `TMPDIR=${home}`,
          'PATH=/usr/bin:/bin',
          process.execPath,
          '--import',
          'tsx',
          join(import.meta.dirname, 'unprivileged-check.ts'),
        ],
        { encoding: 'utf8', cwd: process.cwd(), timeout: 60_000 },
      );
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        driver: 'bwrap',
        capabilities: { memoryLimit: false, pidsLimit: false, cpuLimit: false, diskQuota: false },
        identity: '0\n/mnt/data\nCapEff: 0000000000000000\nSeccomp: 2\nmemory closed\n',
        timeout: { type: 'timeout' },
        after: '0\n',
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);
});
