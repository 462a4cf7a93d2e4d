import { chmod, lstat, mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The directories a sandbox mounts over or writes to, with their modes. */
const requiredDirectories: ReadonlyArray<readonly [path: string, mode: number]> = [
  ['proc', 0o555],
  ['sys', 0o555],
  ['dev', 0o755],
  ['tmp', 0o1777],
  ['mnt', 0o755],
  ['mnt/data', 0o755],
  ['skills', 0o755],
];

/**
 * Turns a fresh debootstrap tree into an image: nothing of the build host or the build left in it,
 * and the mount points the sandbox drivers expect.
 *
 * Every write goes through `pathInRoot`, which refuses a path whose directories are symlinks, and
 * replaces files instead of writing through them: an absolute symlink inside the tree (such as
 * `machine-id` → `/etc/machine-id`) points at the *host's* file while we work on the tree from
 * outside, and writing through it would change the host.
 */
export async function finishRootfs(rootfs: string): Promise<void> {
  // A machine id baked into an image would be shared by every sandbox; empty means "not set yet".
  for (const path of ['etc/machine-id', 'var/lib/dbus/machine-id']) {
    if ((await lstatInRoot(rootfs, path))?.isFile()) await replaceFile(rootfs, path, '', 0o444);
  }
  // Package indexes and downloaded .debs are most of what the build adds beyond the installed files
  // (≈127 MiB with the default packages); apt fetches fresh indexes when it is next used.
  await emptyDirectory(rootfs, 'var/lib/apt/lists', ['partial']);
  await emptyDirectory(rootfs, 'var/lib/apt/lists/partial');
  await emptyDirectory(rootfs, 'var/cache/apt/archives', ['partial']);
  await emptyDirectory(rootfs, 'var/cache/apt/archives/partial');
  await emptyDirectory(rootfs, 'var/cache/apt', ['archives']);
  // debootstrap creates device nodes (null, zero, tty, console, ptmx …). Every driver mounts its own
  // /dev, and a node left in the image would reach the host's device if a tree were ever used
  // without `nodev`: the image keeps an empty mount point only.
  await emptyDirectory(rootfs, 'dev');
  for (const [path, mode] of requiredDirectories) await ensureDirectory(rootfs, path, mode);
  // debootstrap copies the host's resolv.conf, hostname and hosts; none of them belongs in an image
  // (sandboxes have no network by default).
  await replaceFile(rootfs, 'etc/resolv.conf', '', 0o644);
  await replaceFile(rootfs, 'etc/hostname', 'berth\n', 0o644);
  await replaceFile(
    rootfs,
    'etc/hosts',
    '127.0.0.1\tlocalhost\n127.0.1.1\tberth\n::1\tlocalhost ip6-localhost ip6-loopback\n',
    0o644,
  );
}

/** `rootfs/relative`, after checking that no directory on the way is a symlink. */
async function pathInRoot(rootfs: string, relative: string): Promise<string> {
  const parts = relative.split('/');
  let path = rootfs;
  for (const part of parts.slice(0, -1)) {
    path = join(path, part);
    const stats = await lstat(path);
    if (!stats.isDirectory()) throw new Error(`${path} is not a directory (a symlink?) in the image`);
  }
  return join(path, parts.at(-1) ?? '');
}

async function lstatInRoot(rootfs: string, relative: string) {
  try {
    return await lstat(await pathInRoot(rootfs, relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes whatever is at the path (a file or a symlink, never followed) and writes a new file. */
async function replaceFile(rootfs: string, relative: string, content: string, mode: number): Promise<void> {
  const path = await pathInRoot(rootfs, relative);
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  // 'wx' is O_CREAT|O_EXCL: it fails rather than follow a symlink that appeared in between.
  await writeFile(path, content, { flag: 'wx', mode });
  await chmod(path, mode);
}

/** Deletes the entries of a directory (not following symlinks), except the names in `keep`. */
async function emptyDirectory(rootfs: string, relative: string, keep: readonly string[] = []): Promise<void> {
  const stats = await lstatInRoot(rootfs, relative);
  if (!stats?.isDirectory()) return;
  const path = await pathInRoot(rootfs, relative);
  for (const entry of await readdir(path)) {
    if (!keep.includes(entry)) await rm(join(path, entry), { recursive: true, force: true });
  }
}

async function ensureDirectory(rootfs: string, relative: string, mode: number): Promise<void> {
  const stats = await lstatInRoot(rootfs, relative);
  const path = await pathInRoot(rootfs, relative);
  if (stats === undefined) await mkdir(path, { mode });
  else if (!stats.isDirectory()) throw new Error(`/${relative} in the image is not a directory`);
  // mkdir's mode is filtered by the umask, and an existing directory keeps its own: set it.
  await chmod(path, mode);
}
