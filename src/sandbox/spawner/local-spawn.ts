import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { runToEnd, type FinishedRun, type RunLimits } from './run-to-end.js';
import type { SpawnedProcess, SpawnOptions } from './spawned-process.js';

/**
 * Node's own spawn with Berth's options (files to append to opened for the child and closed again
 * here): what the resident spawner does for the server, and what runs without one.
 */
export function spawnChild(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
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
    // The child has its own copies of the files now (or failed to start).
    for (const fd of files) closeSync(fd);
  }
}

/** Spawns from this process (Node's own spawn): for tools and tests that run without a server. */
export function spawnLocally(file: string, args: readonly string[], options: SpawnOptions): SpawnedProcess {
  return spawnChild(file, args, options);
}

/** Runs a host tool from this process to its end; a spawn that throws is a `startError`, never thrown. */
export function runLocally(
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  limits: RunLimits,
): Promise<FinishedRun> {
  let child: ChildProcess;
  try {
    child = spawnChild(file, args, {
      stdio: [limits.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env,
      ...(limits.cwd === undefined ? {} : { cwd: limits.cwd }),
    });
  } catch (error) {
    const startError = error instanceof Error ? error.message : String(error);
    return Promise.resolve({ code: null, signal: null, stdout: '', stderr: '', startError });
  }
  return runToEnd(child, limits);
}
