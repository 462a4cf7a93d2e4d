import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** setpriv's arguments to become uid/gid 65534 (nobody) with no supplementary groups. */
const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** True when uid 65534 can read this checkout (CI's clone may sit under a private directory). */
export function nobodyCanReadCheckout(): boolean {
  try {
    execFileSync('setpriv', [...nobody, 'test', '-r', join(process.cwd(), 'package.json')]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a TypeScript script as uid 65534 from this checkout, with a private home (and TMPDIR) it owns
 * and a minimal PATH: the server without root, as far as tests running as root can show it. The
 * home is removed afterwards.
 */
export function runScriptAsNobody(script: string, args: readonly string[] = []): SpawnSyncReturns<string> {
  const home = mkdtempSync(join(tmpdir(), 'berth-nobody-home-'));
  try {
    execFileSync('chown', ['65534:65534', home]);
    return spawnSync(
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
        script,
        ...args,
      ],
      { encoding: 'utf8', cwd: process.cwd(), timeout: 60_000 },
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
