import { execFile } from 'node:child_process';
import { readFile, realpath, rm } from 'node:fs/promises';
import { sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points listed in a `/proc/<pid>/mountinfo` text, decoded (`\040` is a space). */
export function parseMountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    points.push(
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    );
  }
  return points;
}

/** Mount points at or below `directory` (an absolute real path), deepest first. */
export function mountsUnder(mountPoints: readonly string[], directory: string): string[] {
  const prefix = directory.endsWith(sep) ? directory : directory + sep;
  return mountPoints
    .filter((point) => point === directory || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

async function currentMountsUnder(directory: string): Promise<string[]> {
  return mountsUnder(parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8')), directory);
}

/**
 * Deletes a build directory that may still hold mounts. A root tree under construction can have
 * `/proc`, `/sys` or (in some containers) bind mounts of the host's `/dev` nodes inside it, and a
 * recursive delete walks into mounts: it would try to delete the host's device nodes. So every mount
 * below the directory is detached first (lazily, so a busy one cannot stop the cleanup), and the
 * delete is refused while any remains.
 */
export async function removeTree(directory: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const point of await currentMountsUnder(real)) {
    await run('umount', ['--lazy', point], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).catch(
      () => undefined,
    );
  }
  const remaining = await currentMountsUnder(real);
  if (remaining.length > 0) {
    throw new Error(`refusing to delete ${real}: ${remaining.join(', ')} is still mounted`);
  }
  await rm(real, { recursive: true, force: true });
}
