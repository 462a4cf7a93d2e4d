import { readFileSync } from 'node:fs';
import { runHostCommand } from './host-command.js';

/** Mount points of this mount namespace, from /proc/self/mountinfo (octal escapes decoded). */
export function mountPoints(): Set<string> {
  const points = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (field)
      points.add(
        field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
      );
  }
  return points;
}

/** Mount points at or under `dir`, deepest first (the order they must be unmounted in). */
export function mountsUnder(dir: string): string[] {
  return [...mountPoints()]
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
