import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Disk usage of a directory tree, like `du -s --block-size=1`: allocated blocks, each hard-linked
 * file counted once, symlinks not followed, mounts below it not expected (it is a root tree at rest).
 */
export async function measureTreeBytes(directory: string): Promise<number> {
  const seen = new Set<string>();
  let bytes = 0;
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    if (stats.nlink > 1 && !stats.isDirectory()) {
      const key = `${stats.dev}:${stats.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    bytes += stats.blocks * 512;
    if (stats.isDirectory()) {
      for (const entry of await readdir(path)) await visit(join(path, entry));
    }
  };
  await visit(directory);
  return bytes;
}
