import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { SandboxImage } from './sandbox-driver.js';

/** Bumped when the skeleton changes, so an older skeleton is rebuilt. */
const skeletonVersion = '1';

/**
 * The `host` image: a skeleton root whose `/usr` is the host's own (bound read-only with a writable
 * layer over it, so the host's python3, node, git and curl are there), and a synthetic `/etc`. Nothing
 * else of the host is in it: not its `/etc` (users, secrets, resolver), `/root`, `/home`, `/var` or
 * `/run`. The top-level `bin`, `lib`, `lib64` and `sbin` are symlinks into `/usr`, as on merged-/usr
 * systems.
 */
export function ensureHostImage(imagesDir: string): Promise<SandboxImage> {
  // One build per directory at a time: a pool refill and a cold start may both ask at once.
  let building = inProgress.get(imagesDir);
  if (!building) {
    building = buildHostImage(imagesDir);
    inProgress.set(imagesDir, building);
    building.catch(() => undefined).finally(() => inProgress.delete(imagesDir));
  }
  return building;
}

const inProgress = new Map<string, Promise<SandboxImage>>();

async function buildHostImage(imagesDir: string): Promise<SandboxImage> {
  const dir = `${imagesDir}/host`;
  const rootfs = `${dir}/rootfs`;
  const image: SandboxImage = { name: 'host', rootfs, bindHostUsr: true };
  if (existsSync(`${dir}/.version-${skeletonVersion}`)) return image;

  const building = `${imagesDir}/.host-${randomBytes(8).toString('hex')}`;
  const root = `${building}/rootfs`;
  for (const path of [
    'usr',
    'etc',
    'proc',
    'dev',
    'sys',
    'tmp',
    'mnt/data',
    'root',
    'home',
    'var/tmp',
    'run',
    'skills',
    'opt',
  ]) {
    await mkdir(`${root}/${path}`, { recursive: true });
  }
  for (const link of ['bin', 'lib', 'lib64', 'lib32', 'libx32', 'sbin']) {
    if (existsSync(`/usr/${link}`)) await symlink(`usr/${link}`, `${root}/${link}`);
  }
  for (const [name, text] of Object.entries(syntheticEtc))
    await writeFile(`${root}/etc/${name}`, text, { mode: 0o644 });
  await writeFile(`${building}/.version-${skeletonVersion}`, '');
  await rm(dir, { recursive: true, force: true });
  await rename(building, dir);
  return image;
}

const syntheticEtc: Record<string, string> = {
  passwd: 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  group: 'root:x:0:\nnogroup:x:65534:\n',
  hosts: '127.0.0.1\tlocalhost berth\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  hostname: 'berth\n',
  // No resolver: the sandbox has no network unless a policy lets it out through the egress proxy.
  'resolv.conf': '',
  'nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n',
  shells: '/bin/sh\n/bin/bash\n',
};
