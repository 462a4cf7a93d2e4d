import { realpath, rm } from 'node:fs/promises';
import { runHostCommand } from '../host-command.js';
import { mountsUnder } from '../mounts.js';

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
  for (const point of mountsUnder(real)) {
    await runHostCommand('umount', ['--lazy', point]).catch(() => undefined);
  }
  const remaining = mountsUnder(real);
  if (remaining.length > 0) {
    throw new Error(`refusing to delete ${real}: ${remaining.join(', ')} is still mounted`);
  }
  await rm(real, { recursive: true, force: true });
}
