import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { findHostDebianArchive, isBootstrappableSuite, type DebianArchive } from './apt-sources.js';
import { DebootstrapProgressTracker, type BuildProgress } from './debootstrap-progress.js';
import { parseInstalledPackages } from './dpkg-status.js';
import { finishRootfs } from './finish-rootfs.js';
import { ImageBuildError, ImageBuildInterruptedError } from './image-build-error.js';
import { beginImageBuild, type StoredImage } from './image-store.js';
import { runDebootstrap, systemPath } from './run-debootstrap.js';
import { measureTreeBytes } from './tree-bytes.js';

export const debianImageName = 'debian';

/** What every `debian` image has, for the shell tool and skills: more can be added with `packages`. */
export const defaultDebianPackages: readonly string[] = [
  'python3',
  'nodejs',
  'git',
  'curl',
  'ca-certificates',
];

export interface DebianImageOptions {
  /** Berth's data directory; the image goes to `<dataDir>/images/debian/`. */
  readonly dataDir: string;
  /** Packages to install besides `defaultDebianPackages`. */
  readonly packages?: readonly string[] | undefined;
  /** The archive to bootstrap from; by default the one the host's apt uses. */
  readonly mirror?: string | undefined;
  /** The release; by default the host's. */
  readonly suite?: string | undefined;
  /** Aborting stops the build and deletes what it made; the older image, if any, stays. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Builds the `debian` image: `debootstrap --variant=minbase` of the host's release from the host's
 * archive, with python3, nodejs, git, curl and ca-certificates, cleaned of host and build leftovers.
 * Needs root. An existing image is replaced only once the new one is complete.
 *
 * Packages are installed by debootstrap itself (`--include`), not by `apt-get` in a chroot
 * afterwards: debootstrap's resolver follows Depends and Pre-Depends (Recommends are left out, as
 * with `--no-install-recommends`), it verifies every package against the signed Release file, and
 * it needs no network, resolv.conf or /proc and /dev mounts of ours inside the tree — so an
 * interrupted build has nothing of ours to unmount. Its limit: it cannot choose a provider for a
 * purely virtual package (`mail-transport-agent`); name a real one (`postfix`).
 *
 * @example
 * const image = await buildDebianImage({ dataDir: '/var/lib/berth', packages: ['jq'] }, console.log);
 * image.rootfs; // '/var/lib/berth/images/debian/rootfs'
 */
export async function buildDebianImage(
  options: DebianImageOptions,
  onProgress: (progress: BuildProgress) => void = () => undefined,
): Promise<StoredImage> {
  const packages = debianImagePackages(options.packages);
  if (process.getuid?.() !== 0) {
    throw new ImageBuildError(
      'building an image needs root (debootstrap creates device nodes, sets file owners and runs dpkg in a chroot); run it as root',
    );
  }
  const debootstrap = await findDebootstrap();
  if (debootstrap === undefined) {
    throw new ImageBuildError(
      'debootstrap is not installed: install the Debian package `debootstrap` (apt-get install debootstrap)',
    );
  }
  const archive = await resolveArchive(options);

  const build = await beginImageBuild(options.dataDir);
  try {
    onProgress({
      stage: 'resolve',
      done: 0,
      total: undefined,
      message: `${archive.suite} from ${archive.mirror}`,
    });
    const tracker = new DebootstrapProgressTracker();
    await runDebootstrap({
      executable: debootstrap,
      args: [
        '--variant=minbase',
        `--include=${packages.join(',')}`,
        ...(archive.keyring === undefined ? [] : [`--keyring=${archive.keyring}`]),
        archive.suite,
        build.rootfs,
        archive.mirror,
      ],
      signal: options.signal,
      onLine: (line) => {
        const progress = tracker.feed(line);
        if (progress) onProgress(progress);
      },
    });
    throwIfAborted(options.signal);
    onProgress({
      stage: 'finish',
      done: 0,
      total: undefined,
      message: 'checking the packages and cleaning up the root tree',
    });
    await checkInstalled(build.rootfs, packages);
    await finishRootfs(build.rootfs);
    const bytes = await measureTreeBytes(build.rootfs);
    throwIfAborted(options.signal);
    return await build.commit({
      name: debianImageName,
      builtAt: Math.floor(Date.now() / 1000),
      packages,
      suite: archive.suite,
      mirror: archive.mirror,
      bytes,
    });
  } catch (error) {
    // When dpkg failed inside the tree, debootstrap points at its log, which is about to be deleted
    // with the build: keep its end in the message.
    const pointsAtLog = error instanceof ImageBuildError && error.message.includes('debootstrap.log');
    const log = pointsAtLog ? await debootstrapLogTail(build.rootfs) : undefined;
    await build.discard();
    if (log !== undefined) {
      throw new ImageBuildError(`${(error as Error).message}\nend of debootstrap.log:\n${log}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** `defaultDebianPackages` plus `extra`, without repeats; each must be a valid Debian package name. */
export function debianImagePackages(extra: readonly string[] = []): string[] {
  const packages = [...new Set([...defaultDebianPackages, ...extra])];
  for (const name of packages) {
    // Debian policy §5.6.1; also keeps commas and options out of debootstrap's --include.
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) {
      throw new ImageBuildError(`'${name}' is not a Debian package name`);
    }
  }
  return packages;
}

/** The first `debootstrap` on PATH or in the system directories (root's PATH may lack /usr/sbin). */
export async function findDebootstrap(
  searchPath = `${process.env.PATH ?? ''}${delimiter}${systemPath}`,
): Promise<string | undefined> {
  for (const directory of searchPath.split(delimiter)) {
    if (!directory.startsWith('/')) continue;
    const candidate = join(directory, 'debootstrap');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

async function resolveArchive(options: DebianImageOptions): Promise<DebianArchive> {
  const host =
    options.mirror !== undefined && options.suite !== undefined ? undefined : await findHostDebianArchive();
  const mirror = (options.mirror ?? host?.mirror)?.replace(/\/+$/, '');
  const suite = options.suite ?? host?.suite;
  if (mirror === undefined || suite === undefined) {
    throw new ImageBuildError(
      'could not find a Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d/: pass --mirror and --suite',
    );
  }
  if (!/^(https?|file):\/\/[^\s,]+$/.test(mirror)) {
    throw new ImageBuildError(`--mirror must be an http://, https:// or file:// URL, not '${mirror}'`);
  }
  if (!isBootstrappableSuite(suite)) {
    throw new ImageBuildError(`debootstrap does not know the suite '${suite}' (no script for it)`);
  }
  // The host's keyring belongs to the host's archive; another mirror is checked with debootstrap's default.
  const keyring = host !== undefined && options.mirror === undefined ? host.keyring : undefined;
  return { mirror, suite, keyring };
}

async function checkInstalled(rootfs: string, packages: readonly string[]): Promise<void> {
  const installed = parseInstalledPackages(await readFile(join(rootfs, 'var/lib/dpkg/status'), 'utf8'));
  const missing = packages.filter((name) => !installed.has(name));
  if (missing.length > 0) {
    throw new ImageBuildError(`debootstrap finished but did not install: ${missing.join(', ')}`);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ImageBuildInterruptedError();
}

/** The end of debootstrap's own log (dpkg's output), which its error messages point to. */
async function debootstrapLogTail(rootfs: string): Promise<string | undefined> {
  try {
    const lines = (await readFile(join(rootfs, 'debootstrap/debootstrap.log'), 'utf8')).trimEnd().split('\n');
    return lines
      .slice(-15)
      .map((line) => `  ${line}`)
      .join('\n');
  } catch {
    return undefined;
  }
}
