import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finishRootfs } from './finish-rootfs.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-finish-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A small tree shaped like debootstrap's output, with host files copied in and a symlink out of it. */
function debootstrapLikeTree(): { rootfs: string; host: string } {
  const rootfs = join(directory, 'rootfs');
  const host = join(directory, 'host-machine-id');
  writeFileSync(host, 'host-id\n');
  for (const path of [
    'etc',
    'var/lib/apt/lists/partial',
    'var/cache/apt/archives/partial',
    'var/lib/dbus',
    'dev/pts',
    'mnt',
    'tmp',
  ]) {
    mkdirSync(join(rootfs, path), { recursive: true });
  }
  writeFileSync(join(rootfs, 'etc/machine-id'), 'abc123\n');
  // The absolute symlink points at the host's file while the tree is worked on from outside.
  symlinkSync(host, join(rootfs, 'var/lib/dbus/machine-id'));
  symlinkSync(host, join(rootfs, 'etc/hostname'));
  writeFileSync(join(rootfs, 'etc/resolv.conf'), 'nameserver 10.0.0.1\n');
  writeFileSync(join(rootfs, 'etc/hosts'), '10.0.0.7 buildhost\n');
  writeFileSync(join(rootfs, 'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease'), 'x');
  writeFileSync(join(rootfs, 'var/lib/apt/lists/partial/half'), 'x');
  writeFileSync(join(rootfs, 'var/cache/apt/archives/bash_5.2.15_amd64.deb'), 'x');
  writeFileSync(join(rootfs, 'var/cache/apt/pkgcache.bin'), 'x');
  writeFileSync(join(rootfs, 'dev/null'), '');
  return { rootfs, host };
}

describe('finishRootfs', () => {
  it('removes host and build leftovers, creates the mount points, and never writes through a symlink', async () => {
    const { rootfs, host } = debootstrapLikeTree();
    await finishRootfs(rootfs);

    expect(readFileSync(host, 'utf8')).toBe('host-id\n');
    expect(readFileSync(join(rootfs, 'etc/machine-id'), 'utf8')).toBe('');
    expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe('berth\n');
    expect(lstatSync(join(rootfs, 'etc/hostname')).isFile()).toBe(true);
    expect(readFileSync(join(rootfs, 'etc/resolv.conf'), 'utf8')).toBe('');
    expect(readFileSync(join(rootfs, 'etc/hosts'), 'utf8')).not.toContain('buildhost');
    expect(readdirSync(join(rootfs, 'var/lib/apt/lists'))).toEqual(['partial']);
    expect(readdirSync(join(rootfs, 'var/lib/apt/lists/partial'))).toEqual([]);
    expect(readdirSync(join(rootfs, 'var/cache/apt'))).toEqual(['archives']);
    expect(readdirSync(join(rootfs, 'var/cache/apt/archives'))).toEqual(['partial']);
    expect(readdirSync(join(rootfs, 'dev'))).toEqual([]);
    for (const path of ['proc', 'sys', 'dev', 'tmp', 'mnt/data', 'skills']) {
      expect(lstatSync(join(rootfs, path)).isDirectory()).toBe(true);
    }
    expect(lstatSync(join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
  });

  it('refuses a tree whose directories are symlinks', async () => {
    const rootfs = join(directory, 'linked');
    mkdirSync(rootfs);
    symlinkSync(directory, join(rootfs, 'etc'));
    await expect(finishRootfs(rootfs)).rejects.toThrow('is not a directory');
    expect(existsSync(join(directory, 'hostname'))).toBe(false);
  });
});
