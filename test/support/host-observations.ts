import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the host itself shows, read by the test process (which is also the server's process, so its
 * mount namespace is the server's): the ground truth an escape would change.
 */

/** Host pids whose command line contains `text`. */
export function hostProcessesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) found.push(pid);
    } catch {
      // It exited while we looked.
    }
  }
  return found;
}

/** Lines of the server's /proc/self/mountinfo that mention `text` (a mount point or a source). */
export function hostMountsMentioning(text: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(text));
}

/** Cgroup directories (v1 per-controller or v2) whose name contains `text`, a few levels deep. */
export function hostCgroupsNamed(text: string, root = '/sys/fs/cgroup', depth = 4): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(root, entry);
    let directory = false;
    try {
      directory = lstatSync(path).isDirectory();
    } catch {
      continue;
    }
    if (!directory) continue;
    if (entry.includes(text)) found.push(path);
    else if (depth > 1) found.push(...hostCgroupsNamed(text, path, depth - 1));
  }
  return found;
}

/** Paths under `root` (recursively, not following symlinks) whose name contains `text`. */
export function hostPathsNamed(text: string, root: string): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(root, entry);
    if (entry.includes(text)) found.push(path);
    try {
      if (lstatSync(path).isDirectory()) found.push(...hostPathsNamed(text, path));
    } catch {
      // Vanished.
    }
  }
  return found;
}

/** Bytes of disk actually allocated to the files under `root` (sparse files count what they use). */
export function allocatedBytes(root: string): number {
  let total = 0;
  let stat;
  try {
    stat = lstatSync(root);
  } catch {
    return 0;
  }
  total += stat.blocks * 512;
  if (!stat.isDirectory()) return total;
  for (const entry of readdirSync(root)) total += allocatedBytes(join(root, entry));
  return total;
}

/** The host's block devices (vda, sda, nvme0n1, loop0, …), from /sys/block. */
export function hostBlockDevices(): string[] {
  try {
    return readdirSync('/sys/block');
  } catch {
    return [];
  }
}

/** TCP ports something listens on in the host's network namespace (IPv4 and IPv6). */
export function hostListeningTcpPorts(): number[] {
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN.
      if (fields[3] !== '0A') continue;
      const port = parseInt(fields[1]?.split(':')[1] ?? '', 16);
      if (Number.isInteger(port)) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}
