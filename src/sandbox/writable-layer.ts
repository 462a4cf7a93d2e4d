import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, open, writeFile } from 'node:fs/promises';
import { runHostCommand } from './host-command.js';
import { mountPoints, unmountAll } from './mounts.js';
import type { SandboxImage } from './sandbox-driver.js';

/**
 * The host uid and gid the sandbox's root is mapped to (its user namespace maps 0–65535 onto
 * 100000–165535): root inside, an unprivileged id with no home and no files outside.
 */
export const sandboxRootId = 100_000;
export const sandboxIdRange = 65_536;

/** Paths of one sandbox's writable layer. */
export interface LayerPaths {
  /** The ext4 image holding every byte the sandbox writes (its size is the disk quota). */
  readonly diskImage: string;
  /** Where the disk image is mounted on the host. */
  readonly diskMount: string;
  /** Where the assembled root (the image read-only, the disk writable over it) is mounted. */
  readonly rootfs: string;
}

/**
 * Assembles a sandbox's root: a loop-mounted ext4 file as the writable layer (a real quota: writes past
 * its size fail with ENOSPC inside, and nothing outside fills up — this kernel has no CONFIG_QUOTA for
 * project quotas), an overlay of it over the read-only image, and for the `host` image a second overlay
 * over the host's `/usr`, so `pip install` into /usr/local persists without touching the host.
 * Idempotent: after a restart it mounts the existing disk, with the container's files in it.
 */
export async function mountWritableLayer(
  paths: LayerPaths,
  image: SandboxImage,
  diskBytes: number,
): Promise<void> {
  if (!existsSync(paths.diskImage)) await createDiskImage(paths.diskImage, diskBytes);
  const mounted = mountPoints();
  await mkdir(paths.diskMount, { recursive: true, mode: 0o700 });
  if (!mounted.has(paths.diskMount)) {
    // nodev/nosuid: a device node or setuid file written inside must mean nothing on the host.
    await runHostCommand('mount', [
      '-t',
      'ext4',
      '-o',
      'loop,nodev,nosuid,noatime',
      paths.diskImage,
      paths.diskMount,
    ]);
  }
  await prepareLayout(paths.diskMount, image);

  await mkdir(paths.rootfs, { recursive: true, mode: 0o711 });
  if (!mounted.has(paths.rootfs)) {
    await mountOverlay(image.rootfs, `${paths.diskMount}/root`, `${paths.diskMount}/root-work`, paths.rootfs);
  }
  if (image.bindHostUsr && !mounted.has(`${paths.rootfs}/usr`)) {
    await mountOverlay(
      '/usr',
      `${paths.diskMount}/usr`,
      `${paths.diskMount}/usr-work`,
      `${paths.rootfs}/usr`,
    );
  }
}

/** Unmounts the root and the disk; the disk image (the container's files) stays. */
export async function unmountWritableLayer(paths: LayerPaths): Promise<void> {
  await unmountAll(paths.rootfs);
  await unmountAll(paths.diskMount);
}

async function createDiskImage(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  await file.truncate(bytes); // Sparse: blocks are used only as the sandbox writes.
  await file.close();
  // No reserved blocks (the whole quota is the sandbox's); the root directory belongs to its root.
  await runHostCommand('mkfs.ext4', [
    '-q',
    '-F',
    '-m',
    '0',
    '-E',
    `root_owner=${sandboxRootId}:${sandboxRootId},lazy_itable_init=1,lazy_journal_init=1`,
    path,
  ]);
}

function mountOverlay(lower: string, upper: string, work: string, target: string): Promise<string> {
  // The upper and work paths are resolved now, on the host; the sandbox later sees only the merged tree.
  return runHostCommand('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lower},upperdir=${upper},workdir=${work},nodev,nosuid`,
    target,
  ]);
}

/**
 * First use of a disk: the overlay directories, and the directories the sandbox's root must own in the
 * merged tree (an upper directory's owner and mode win over the image's).
 */
async function prepareLayout(disk: string, image: SandboxImage): Promise<void> {
  const marker = `${disk}/.berth-layout-1`;
  if (existsSync(marker)) return;
  const owned = async (path: string, mode: number) => {
    await mkdir(path, { recursive: true });
    await chmod(path, mode);
    await chown(path, sandboxRootId, sandboxRootId);
  };
  for (const dir of ['root', 'root-work', 'usr', 'usr-work']) await owned(`${disk}/${dir}`, 0o755);
  await owned(`${disk}/root/mnt`, 0o755);
  await owned(`${disk}/root/mnt/data`, 0o755);
  await owned(`${disk}/root/root`, 0o700);
  await owned(`${disk}/root/home`, 0o755);
  await owned(`${disk}/root/opt`, 0o755);
  await owned(`${disk}/root/tmp`, 0o1777);
  await owned(`${disk}/root/var`, 0o755);
  await owned(`${disk}/root/var/tmp`, 0o1777);
  // /usr/local and the directories under it, owned by the sandbox's root, so `pip install` and
  // `npm install -g` can write there (the image's own files stay read-only: they belong to the host).
  const usrLocal = image.bindHostUsr ? '/usr/local' : `${image.rootfs}/usr/local`;
  const upper = image.bindHostUsr ? `${disk}/usr/local` : `${disk}/root/usr/local`;
  if (!image.bindHostUsr) await owned(`${disk}/root/usr`, 0o755);
  for (const dir of directoriesUnder(usrLocal)) await owned(`${upper}${dir.slice(usrLocal.length)}`, 0o755);
  await writeFile(marker, '');
}

function directoriesUnder(root: string, depth = 4): string[] {
  const found = [root];
  if (depth === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = `${root}/${entry}`;
    try {
      if (lstatSync(path).isDirectory()) found.push(...directoriesUnder(path, depth - 1));
    } catch {
      // Vanished or unreadable: skip.
    }
  }
  return found;
}
