import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/*
 * The file system calls here are synchronous on purpose. Each is a metadata change of microseconds on
 * a local disk, and a sandbox's start is dozens of them (a new disk's layout alone is ~225); awaited
 * one by one, each would wait for a turn of the server's event loop, which under load takes hundreds
 * of milliseconds (seen: a cold start took 16 s with 200 clients chatting, and finished only when
 * they stopped). Host tools (mount, mkfs) still run in the resident spawner, one message each way.
 */

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
  mkdirSync(paths.diskMount, { recursive: true, mode: 0o700 });
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
  prepareLayout(paths.diskMount, image);

  mkdirSync(paths.rootfs, { recursive: true, mode: 0o711 });
  if (!mounted.has(paths.rootfs)) {
    await mountOverlay(paths.diskMount, { image: image.rootfs, upper: 'root' }, paths.rootfs);
  }
  if (image.bindHostUsr && !mounted.has(`${paths.rootfs}/usr`)) {
    await mountOverlay(paths.diskMount, { image: '/usr', upper: 'usr' }, `${paths.rootfs}/usr`);
  }
}

/** Unmounts the root and the disk; the disk image (the container's files) stays. */
export async function unmountWritableLayer(paths: LayerPaths): Promise<void> {
  await unmountAll(paths.rootfs);
  await unmountAll(paths.diskMount);
}

async function createDiskImage(path: string, bytes: number): Promise<void> {
  const file = openSync(path, 'wx', 0o600);
  try {
    ftruncateSync(file, bytes); // Sparse: blocks are used only as the sandbox writes.
  } finally {
    closeSync(file);
  }
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

/**
 * Mounts an overlay of `layers.image` (read-only) under the disk's `layers.upper` directory at
 * `target`. The kernel shows an overlay's options, as given, in every /proc/mounts and mountinfo that
 * can see it — the sandbox's own included — so the options name only paths relative to the disk's top
 * directory (the mount runs there), and the image is reached through a symlink in it named
 * `<upper>-image`: the sandbox sees `lowerdir=root-image,upperdir=root,…`, not where the server keeps
 * its data (a host path such as /home/alice/.berth tells an attacker who runs it and where to look).
 * The disk's top directory is the host's: the sandbox writes only under `upper`, so it cannot swap the
 * symlink, which is followed once, here, when the overlay is mounted.
 */
async function mountOverlay(
  disk: string,
  layers: { readonly image: string; readonly upper: string },
  target: string,
): Promise<string> {
  const link = `${layers.upper}-image`;
  // Made again on every mount: the image may have moved with the data directory since the last one.
  rmSync(`${disk}/${link}`, { force: true });
  symlinkSync(layers.image, `${disk}/${link}`);
  return runHostCommand(
    'mount',
    [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${link},upperdir=${layers.upper},workdir=${layers.upper}-work,nodev,nosuid`,
      target,
    ],
    { cwd: disk },
  );
}

/**
 * First use of a disk: the overlay directories, and the directories the sandbox's root must own in the
 * merged tree (an upper directory's owner and mode win over the image's).
 */
function prepareLayout(disk: string, image: SandboxImage): void {
  const marker = `${disk}/.berth-layout-1`;
  if (existsSync(marker)) return;
  const owned = (path: string, mode: number) => {
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
    chownSync(path, sandboxRootId, sandboxRootId);
  };
  for (const dir of ['root', 'root-work', 'usr', 'usr-work']) owned(`${disk}/${dir}`, 0o755);
  owned(`${disk}/root/mnt`, 0o755);
  owned(`${disk}/root/mnt/data`, 0o755);
  owned(`${disk}/root/root`, 0o700);
  owned(`${disk}/root/home`, 0o755);
  owned(`${disk}/root/opt`, 0o755);
  owned(`${disk}/root/tmp`, 0o1777);
  owned(`${disk}/root/var`, 0o755);
  owned(`${disk}/root/var/tmp`, 0o1777);
  // /usr/local and the directories under it, owned by the sandbox's root, so `pip install` and
  // `npm install -g` can write there (the image's own files stay read-only: they belong to the host).
  const usrLocal = image.bindHostUsr ? '/usr/local' : `${image.rootfs}/usr/local`;
  const upper = image.bindHostUsr ? `${disk}/usr/local` : `${disk}/root/usr/local`;
  if (!image.bindHostUsr) owned(`${disk}/root/usr`, 0o755);
  for (const dir of directoriesUnder(usrLocal)) owned(`${upper}${dir.slice(usrLocal.length)}`, 0o755);
  writeFileSync(marker, '');
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
