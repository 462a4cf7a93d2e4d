import { readdirSync, readFileSync } from 'node:fs';

export interface SandboxProcesses {
  /** In the sandbox's cgroups (every driver that enforces limits names them after the sandbox's id). */
  readonly inCgroup: number[];
  /** Outside them but naming the sandbox in their arguments: host-side helpers such as `runsc exec`. */
  readonly outside: number[];
}

/** The host processes of each sandbox, found in one pass over /proc. */
export function sandboxProcesses(ids: readonly string[]): Map<string, SandboxProcesses> {
  const found = new Map<string, SandboxProcesses>(ids.map((id) => [id, { inCgroup: [], outside: [] }]));
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cgroups: string;
    let commandLine: string;
    try {
      cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // It exited while we looked.
    }
    for (const id of ids) {
      if (cgroups.includes(id)) found.get(id)?.inCgroup.push(pid);
      else if (commandLine.includes(id)) found.get(id)?.outside.push(pid);
      else continue;
      break;
    }
  }
  return found;
}

export interface ProcessMemory {
  /** Proportional set size: each shared page divided among the processes that map it. */
  readonly pssBytes: number;
  readonly rssBytes: number;
}

/** Sum of PSS and RSS of `pids`, from /proc/<pid>/smaps_rollup (kernel ≥ 4.14; needs root). */
export function processMemory(pids: readonly number[]): ProcessMemory {
  let pssBytes = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    let rollup: string;
    try {
      rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    pssBytes += kilobytesField(rollup, 'Pss') * 1024;
    rssBytes += kilobytesField(rollup, 'Rss') * 1024;
  }
  return { pssBytes, rssBytes };
}

export interface CgroupMemory {
  /** Everything charged to the cgroup: the counter its memory limit applies to. */
  readonly usageBytes: number;
  /** Anonymous memory (heaps, stacks) of its processes. */
  readonly anonBytes: number;
  /** Page cache charged to it (files it was first to read or write, tmpfs). */
  readonly fileBytes: number;
  /** Kernel memory charged to it (page tables, slab: dentries, inodes, task structs). */
  readonly kernelBytes: number;
}

/**
 * The memory cgroup `pid` is in, on either cgroup version, when its path names sandbox `id` (so a
 * driver that leaves its processes in the server's own cgroup is reported as unmeasured, not as the
 * server's memory).
 */
export function cgroupMemory(pid: number, id: string): CgroupMemory | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const v1 = lines.find((line) => line.split(':')[1]?.split(',').includes('memory'));
  if (v1) {
    if (!v1.includes(id)) return undefined;
    const dir = `/sys/fs/cgroup/memory${v1.split(':')[2] ?? ''}`;
    const stat = keyValues(readFileSync(`${dir}/memory.stat`, 'utf8'));
    return {
      usageBytes: Number(readFileSync(`${dir}/memory.usage_in_bytes`, 'utf8')),
      anonBytes: stat.get('rss') ?? 0,
      fileBytes: stat.get('cache') ?? 0,
      kernelBytes: Number(readFileSync(`${dir}/memory.kmem.usage_in_bytes`, 'utf8')),
    };
  }
  const v2 = lines.find((line) => line.startsWith('0::'));
  if (!v2?.includes(id)) return undefined;
  const dir = `/sys/fs/cgroup${v2.slice(3)}`;
  const stat = keyValues(readFileSync(`${dir}/memory.stat`, 'utf8'));
  return {
    usageBytes: Number(readFileSync(`${dir}/memory.current`, 'utf8')),
    anonBytes: stat.get('anon') ?? 0,
    fileBytes: stat.get('file') ?? 0,
    kernelBytes: stat.get('kernel') ?? 0,
  };
}

/** Memory the host cannot hand out: MemTotal − MemAvailable (reclaimable page cache counts as free). */
export function hostMemoryInUse(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  return (kilobytesField(info, 'MemTotal') - kilobytesField(info, 'MemAvailable')) * 1024;
}

/** MemAvailable and MemTotal, in bytes. */
export function hostMemory(): { available: number; total: number } {
  const info = readFileSync('/proc/meminfo', 'utf8');
  return {
    available: kilobytesField(info, 'MemAvailable') * 1024,
    total: kilobytesField(info, 'MemTotal') * 1024,
  };
}

/**
 * Host memory in use less the anonymous memory of every process not in `sandboxPids` (this server
 * included): the other work on a shared machine moves this much less than MemTotal − MemAvailable,
 * while the kernel's memory for the sandboxes (mounts, loop devices, journals, page tables) stays in.
 */
export function hostMemoryInUseBesidesOtherProcesses(sandboxPids: ReadonlySet<number>): number {
  let otherAnonymous = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || sandboxPids.has(pid)) continue;
    try {
      otherAnonymous += kilobytesField(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Anonymous') * 1024;
    } catch {
      // Exited, or a kernel thread (no smaps_rollup).
    }
  }
  return hostMemoryInUse() - otherAnonymous;
}

function kilobytesField(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

function keyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value) values.set(key, Number(value));
  }
  return values;
}
