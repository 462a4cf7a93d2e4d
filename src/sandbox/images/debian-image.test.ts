import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildDebianImage, debianImagePackages, findDebootstrap } from './debian-image.js';

describe('buildDebianImage', () => {
  it('refuses to build without root, before touching anything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-image-nonroot-'));
    // The process's uid as a user without root would have it: the check reads nothing else.
    const getuid = vi.spyOn(process, 'getuid').mockReturnValue(65534);
    try {
      await expect(buildDebianImage({ dataDir })).rejects.toThrow('building an image needs root');
    } finally {
      getuid.mockRestore();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('debianImagePackages', () => {
  it('adds extra packages to the defaults once each', () => {
    expect(debianImagePackages(['jq', 'git', 'python3-venv'])).toEqual([
      'python3',
      'nodejs',
      'git',
      'curl',
      'ca-certificates',
      'jq',
      'python3-venv',
    ]);
  });

  it('refuses names that are not Debian package names (nothing can reach debootstrap as an option)', () => {
    expect(() => debianImagePackages(['--foreign'])).toThrow("'--foreign' is not a Debian package name");
    expect(() => debianImagePackages(['a,b'])).toThrow('is not a Debian package name');
    expect(() => debianImagePackages(['Jq'])).toThrow('is not a Debian package name');
  });
});

describe('findDebootstrap', () => {
  const directory = mkdtempSync(join(tmpdir(), 'berth-path-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('finds an executable debootstrap on the search path, and nothing when there is none', async () => {
    mkdirSync(join(directory, 'sbin'));
    expect(await findDebootstrap(`relative:${join(directory, 'sbin')}`)).toBeUndefined();
    writeFileSync(join(directory, 'sbin/debootstrap'), '#!/bin/sh\n');
    chmodSync(join(directory, 'sbin/debootstrap'), 0o755);
    expect(await findDebootstrap(`/nowhere:${join(directory, 'sbin')}`)).toBe(
      join(directory, 'sbin/debootstrap'),
    );
  });
});
