import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Where the kernel keeps the cgroups a sandbox's runtime created for `cgroupPath` (for example
 * `/berth/cntr_…`), on both layouts: the unified v2 hierarchy (most hosts) and the v1 per-controller
 * mounts (older hosts and hybrid ones such as the project's CI machine).
 */
export interface CgroupLayout {
  readonly version: 1 | 2;
  /** Reads one counter from a `key value` file such as memory.events; 0 when absent. */
  counter(controller: 'memory' | 'pids', file: string, key: string): number;
}

const root = '/sys/fs/cgroup';

export function cgroupVersion(): 1 | 2 {
  return existsSync(`${root}/cgroup.controllers`) ? 2 : 1;
}

export function cgroupLayout(cgroupPath: string): CgroupLayout {
  const version = cgroupVersion();
  const dir = (controller: string) =>
    version === 2 ? `${root}${cgroupPath}` : `${root}/${controller}${cgroupPath}`;
  return {
    version,
    counter(controller, file, key) {
      const top = dir(controller);
      // On v1 a session's processes are charged to its own pids cgroup (session-cgroup.ts), which
      // counts their refused forks: summed with the sandbox's. (Sessions have no cgroup in the other
      // v1 hierarchies, and on v2 theirs have no controllers, so the sandbox's own file counts all.)
      if (version === 1 && controller === 'pids') {
        return [top, ...subdirectories(top)].reduce((sum, at) => sum + readCounter(`${at}/${file}`, key), 0);
      }
      return readCounter(`${top}/${file}`, key);
    },
  };
}

/** OOM kills and refused forks of one sandbox's cgroup, on either cgroup version. */
export function readLimitEvents(layout: CgroupLayout): { oomKills: number; pidsRefused: number } {
  return {
    // v2 memory.events and v1 memory.oom_control both carry an `oom_kill` line (kernel ≥ 4.13).
    oomKills: layout.counter(
      'memory',
      layout.version === 2 ? 'memory.events' : 'memory.oom_control',
      'oom_kill',
    ),
    pidsRefused: layout.counter('pids', 'pids.events', 'max'),
  };
}

/** One `key value` line's value from a cgroup file; 0 when the file or the line is absent. */
function readCounter(path: string, key: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 0;
  }
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    if (name === key) return Number(value) || 0;
  }
  return 0;
}

/** The directories directly under `dir` (a cgroup's child cgroups), as paths; none when it is absent. */
export function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}`);
  } catch {
    return [];
  }
}
