import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupVersion, subdirectories } from './cgroups.js';
import { signalProcesses } from './process-groups.js';

/** The limits a cgroup carries (the disk quota is not a cgroup's business). */
export interface CgroupLimits {
  readonly memoryBytes: number;
  readonly pids: number;
  readonly cpus: number;
}

const root = '/sys/fs/cgroup';
const controllers = ['memory', 'pids', 'cpu'] as const;
const cpuPeriodMicros = 100_000;

/** The directories of cgroup `path` (such as `/berth/cntr_…`): one per controller on v1, one on v2. */
export function cgroupDirectories(path: string): string[] {
  return cgroupVersion() === 2
    ? [`${root}${path}`]
    : controllers.map((controller) => `${root}/${controller}${path}`);
}

/**
 * Creates cgroup `path` in the memory, pids and cpu controllers (as root) and writes the limits, for
 * drivers whose runtime has no cgroup support of its own (bwrap): processes then join it by writing
 * their pid to each directory's `cgroup.procs`.
 */
export async function createCgroup(path: string, limits: CgroupLimits): Promise<void> {
  if (cgroupVersion() === 2) {
    // v2: a controller is available in a cgroup only if every ancestor delegates it.
    let parent = root;
    for (const segment of path.split('/').filter(Boolean)) {
      await writeFile(`${parent}/cgroup.subtree_control`, '+memory +pids +cpu');
      parent = `${parent}/${segment}`;
      await mkdir(parent, { recursive: true });
    }
  } else {
    for (const dir of cgroupDirectories(path)) await mkdir(dir, { recursive: true });
  }
  await writeCgroupLimits(path, limits);
}

/** Writes new limits into an existing cgroup (v1 or v2). */
export async function writeCgroupLimits(path: string, limits: CgroupLimits): Promise<void> {
  const quota = String(Math.round(limits.cpus * cpuPeriodMicros));
  if (cgroupVersion() === 2) {
    const dir = `${root}${path}`;
    await writeFile(`${dir}/memory.max`, String(limits.memoryBytes));
    // No swap at all: the memory limit is a real limit, not a spill to swap.
    await writeFile(`${dir}/memory.swap.max`, '0').catch(() => undefined);
    await writeFile(`${dir}/pids.max`, String(limits.pids));
    await writeFile(`${dir}/cpu.max`, `${quota} ${cpuPeriodMicros}`);
    return;
  }
  const memory = `${root}/memory${path}`;
  // memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes (memory plus swap): raise the
  // latter first, lower it last. Without swap accounting the memsw file is absent.
  const memsw = `${memory}/memory.memsw.limit_in_bytes`;
  const hasMemsw = existsSync(memsw);
  const current = Number(readFileSync(`${memory}/memory.limit_in_bytes`, 'utf8'));
  const raising = limits.memoryBytes > current;
  if (hasMemsw && raising) await writeFile(memsw, String(limits.memoryBytes));
  await writeFile(`${memory}/memory.limit_in_bytes`, String(limits.memoryBytes));
  if (hasMemsw && !raising) await writeFile(memsw, String(limits.memoryBytes));
  await writeFile(`${root}/pids${path}/pids.max`, String(limits.pids));
  await writeFile(`${root}/cpu${path}/cpu.cfs_period_us`, String(cpuPeriodMicros));
  await writeFile(`${root}/cpu${path}/cpu.cfs_quota_us`, quota);
}

/** The directory of cgroup `path` in the hierarchy that tracks processes: pids on v1, the unified one on v2. */
export function trackingDirectory(path: string): string {
  return cgroupVersion() === 2 ? `${root}${path}` : `${root}/pids${path}`;
}

/** Pids in cgroup `path` alone, not the cgroups under it. */
export function cgroupOwnProcesses(path: string): number[] {
  try {
    return readFileSync(`${trackingDirectory(path)}/cgroup.procs`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Pids in cgroup `path` and in the cgroups directly under it (each session's: session-cgroup.ts). */
export function cgroupProcesses(path: string): number[] {
  return [...childCgroups(path), path].flatMap(cgroupOwnProcesses);
}

/** The cgroups directly under `path` in the tracking hierarchy, as paths. */
function childCgroups(path: string): string[] {
  const top = trackingDirectory(path);
  return subdirectories(top).map((dir) => `${path}${dir.slice(top.length)}`);
}

/**
 * SIGKILLs every process in cgroup `path` and the cgroups under it (repeating while a dying fork bomb
 * still adds some) and removes them, the ones under it first. A cgroup that does not exist is fine.
 */
export async function removeCgroup(path: string): Promise<void> {
  for (let round = 0; round < 100; round += 1) {
    const pids = cgroupProcesses(path);
    if (pids.length === 0) break;
    signalProcesses(pids, 'SIGKILL');
    await sleep(10);
  }
  for (const child of childCgroups(path)) await rmdir(trackingDirectory(child)).catch(() => undefined);
  for (const dir of cgroupDirectories(path)) await rmdir(dir).catch(() => undefined);
}
