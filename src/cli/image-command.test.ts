import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/berth.js');
const directory = mkdtempSync(join(tmpdir(), 'berth-image-cli-'));
chmodSync(directory, 0o777);
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function berth(args: string[], options: { uid?: number; gid?: number } = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: directory },
    ...options,
  });
}

/**
 * True when uid 65534 can read this checkout: a fresh clone may sit under a private directory, and
 * then the CLI cannot even be loaded as that user (`buildDebianImage`'s own test covers the check).
 */
function readableByNobody(): boolean {
  try {
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', bin]);
    return true;
  } catch {
    return false;
  }
}

describe('berth image (without building)', () => {
  it.runIf(process.getuid?.() === 0 && readableByNobody())(
    'refuses to build without root, with exit code 1',
    () => {
      const result = berth(['image', 'build', 'debian', '--data-dir', join(directory, 'nobody')], {
        uid: 65534,
        gid: 65534,
      });
      expect(result.stderr).toContain('building an image needs root');
      expect(result.status).toBe(1);
    },
  );

  it('knows only the debian image', () => {
    const result = berth(['image', 'build', 'ubuntu', '--data-dir', join(directory, 'unknown')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("unknown image 'ubuntu'");
  });

  it('refuses a package list with a name that is not a Debian package, before doing anything', () => {
    const result = berth([
      'image',
      'build',
      'debian',
      '--packages',
      'jq,--foreign',
      '--data-dir',
      join(directory, 'bad'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("'--foreign' is not a Debian package name");
  });

  it('lists no images in a new data directory, and says so when removing one that does not exist', () => {
    const dataDir = join(directory, 'empty');
    expect(berth(['image', 'ls', '--data-dir', dataDir]).stdout).toBe('no images\n');
    const removed = berth(['image', 'rm', 'debian', '--data-dir', dataDir]);
    expect(removed.status).toBe(1);
    expect(removed.stderr).toContain("no image named 'debian'");
  });
});
