import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { removeTree } from './remove-tree.js';

/**
 * Built container images on disk. The layout is a contract with the sandbox drivers:
 *
 * ```
 * <dataDir>/images/<name>/rootfs/       the complete root tree
 * <dataDir>/images/<name>/image.json    ImageManifest, written last
 * <dataDir>/images/.build-<random>/     a build in progress (or abandoned)
 * ```
 *
 * A build fills `.build-<random>/rootfs/`, writes `image.json` beside it, and only then renames the
 * directory to `<name>`, so `<name>` always holds a finished image. A directory without
 * `image.json` is an unfinished build: it is never listed, and the next build deletes it.
 */

/** `image.json`. */
export interface ImageManifest {
  readonly name: string;
  /** When the build finished, in unix seconds. */
  readonly builtAt: number;
  /** The packages asked for (their dependencies are installed too). */
  readonly packages: readonly string[];
  readonly suite: string;
  readonly mirror: string;
  /** Disk usage of `rootfs/` (allocated blocks, hard links counted once). */
  readonly bytes: number;
}

/** A finished image. */
export interface StoredImage {
  readonly name: string;
  /** Absolute real path (no symlinks) of the root tree, as runc's `root.path` requires. */
  readonly rootfs: string;
  readonly manifest: ImageManifest;
}

/** Our own file, but read back from disk: checked, and a damaged one counts as no image. */
const manifestSchema = z.object({
  name: z.string(),
  builtAt: z.number().int(),
  packages: z.array(z.string()),
  suite: z.string(),
  mirror: z.string(),
  bytes: z.number().int().nonnegative(),
});

const manifestFile = 'image.json';
const rootfsDirectory = 'rootfs';
const lockFile = '.build.lock';

/** Image names are plain directory names: lower case, digits, `.`, `_`, `-`, no leading dot. */
export function isValidImageName(name: string): boolean {
  return /^[a-z0-9][a-z0-9._-]{0,63}$/.test(name);
}

export function imagesDirectory(dataDir: string): string {
  return join(resolve(dataDir), 'images');
}

/** Every finished image, by name. */
export async function listImages(dataDir: string): Promise<StoredImage[]> {
  const images: StoredImage[] = [];
  for (const name of (await readdirOptional(imagesDirectory(dataDir))).sort()) {
    const image = await findImage(dataDir, name);
    if (image) images.push(image);
  }
  return images;
}

/** The finished image called `name`, or undefined (also for a name that cannot be an image). */
export async function findImage(dataDir: string, name: string): Promise<StoredImage | undefined> {
  if (!isValidImageName(name)) return undefined;
  const directory = join(imagesDirectory(dataDir), name);
  const manifest = await readManifest(directory);
  if (manifest?.name !== name) return undefined;
  try {
    return { name, rootfs: await realpath(join(directory, rootfsDirectory)), manifest };
  } catch {
    return undefined;
  }
}

/**
 * Deletes image `name`; false when there is none. It is first renamed aside, so it disappears at
 * once; the tree is deleted after. Sandboxes still running from it are the caller's concern.
 */
export async function removeImage(dataDir: string, name: string): Promise<boolean> {
  if (!isValidImageName(name)) return false;
  const images = imagesDirectory(dataDir);
  const aside = join(images, `.old-${randomSuffix()}`);
  try {
    await rename(join(images, name), aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  await removeTree(aside);
  return true;
}

/** A build directory in `<dataDir>/images/`, holding the build lock until committed or discarded. */
export interface StagedImageBuild {
  /** `<dataDir>/images/.build-<random>`. */
  readonly directory: string;
  /** Where the root tree is built: `<directory>/rootfs` (not created yet). */
  readonly rootfs: string;
  /** Writes `image.json` and renames the build into place, replacing an older image of that name. */
  commit(manifest: ImageManifest): Promise<StoredImage>;
  /** Deletes the build directory (unmounting whatever is left inside). */
  discard(): Promise<void>;
}

/**
 * Takes the build lock, deletes what earlier builds left behind, and creates a fresh build directory.
 * One build at a time per data directory: a second one is refused while the first one's process lives.
 */
export async function beginImageBuild(dataDir: string): Promise<StagedImageBuild> {
  const images = imagesDirectory(dataDir);
  await mkdir(resolve(dataDir), { recursive: true, mode: 0o700 });
  await mkdir(images, { recursive: true, mode: 0o755 });
  const releaseLock = await takeBuildLock(join(images, lockFile));
  try {
    await removeLeftovers(images);
    const directory = join(images, `.build-${randomSuffix()}`);
    await mkdir(directory, { mode: 0o755 });
    return stagedBuild(dataDir, directory, releaseLock);
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

function stagedBuild(dataDir: string, directory: string, releaseLock: () => Promise<void>): StagedImageBuild {
  const images = imagesDirectory(dataDir);
  return {
    directory,
    rootfs: join(directory, rootfsDirectory),
    async commit(manifest) {
      try {
        await writeFile(join(directory, manifestFile), JSON.stringify(manifest, null, 2) + '\n', {
          mode: 0o644,
        });
        // rename(2) cannot replace a non-empty directory: move the old image aside first. Between
        // the two renames (microseconds) the name is briefly absent; it never points at a half build.
        const target = join(images, manifest.name);
        const aside = join(images, `.old-${randomSuffix()}`);
        const replaced = await rename(target, aside).then(
          () => true,
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return false;
            throw error;
          },
        );
        try {
          await rename(directory, target);
        } catch (error) {
          if (replaced) await rename(aside, target);
          throw error;
        }
        if (replaced) await removeTree(aside);
        const image = await findImage(dataDir, manifest.name);
        if (!image) throw new Error(`the image ${manifest.name} was not found after it was moved into place`);
        return image;
      } finally {
        await releaseLock();
      }
    },
    async discard() {
      try {
        await removeTree(directory);
      } finally {
        await releaseLock();
      }
    },
  };
}

/** Deletes unfinished builds, images moved aside, and any image directory without `image.json`. */
async function removeLeftovers(images: string): Promise<void> {
  for (const entry of await readdirOptional(images)) {
    if (entry === lockFile) continue;
    const path = join(images, entry);
    const unfinished =
      entry.startsWith('.build-') ||
      entry.startsWith('.old-') ||
      (isValidImageName(entry) && (await readManifest(path)) === undefined);
    if (unfinished) await removeTree(path);
  }
}

/** An exclusive lock file holding the builder's pid; one left by a dead process is taken over. */
async function takeBuildLock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new Error(`another image build is running (pid ${pid}); if it is not, delete ${path}`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new Error(`could not take the image build lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readManifest(directory: string): Promise<ImageManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, manifestFile), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function readdirOptional(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}
