import { readFileSync } from 'node:fs';
import { runHostCommand } from './host-command.js';

/** Mount points listed in a `/proc/<pid>/mountinfo` text, decoded (`\040` is a space). */
export function parseMountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) {
      points.push(
        field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
      );
    }
  }
  return points;
}

/** Mount points of this mount namespace, from /proc/self/mountinfo. */
export function mountPoints(): Set<string> {
  return new Set(parseMountPoints(readFileSync('/proc/self/mountinfo', 'utf8')));
}

/**
 * Mount points at or under `dir` (an absolute real path), deepest first (the order they must be
 * unmounted in); of this mount namespace unless `points` are given.
 */
export function mountsUnder(dir: string, points: Iterable<string> = mountPoints()): string[] {
  return [...points]
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `dir`; a busy mount is detached lazily so nothing blocks a delete. */
export async function unmountAll(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    try {
      await runHostCommand('umount', [point]);
    } catch {
      await runHostCommand('umount', ['-l', point]).catch(() => undefined);
    }
  }
}
