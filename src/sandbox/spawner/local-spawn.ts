import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { SpawnedProcess, SpawnOptions } from './spawned-process.js';

/** Spawns from this process (Node's own spawn): for tools and tests that run without a server. */
export function spawnLocally(file: string, args: readonly string[], options: SpawnOptions): SpawnedProcess {
  const files: number[] = [];
  try {
    const stdio: StdioOptions = options.stdio.map((entry) => {
      if (typeof entry === 'string') return entry;
      const fd = openSync(entry.appendTo, 'a');
      files.push(fd);
      return fd;
    });
    return spawn(file, [...args], {
      stdio,
      env: options.env,
      detached: options.detached === true,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  } finally {
    for (const fd of files) closeSync(fd);
  }
}
