import { runLocally, spawnLocally } from './local-spawn.js';
import { ResidentSpawner } from './resident-spawner.js';
import type { FinishedRun, RunLimits } from './run-to-end.js';
import type { SpawnedProcess, SpawnOptions } from './spawned-process.js';

/**
 * Every process Berth's sandboxes start goes through here: through the resident spawner while a server
 * runs (one per process, shared by every server in it), otherwise from this process.
 */
let resident: ResidentSpawner | undefined;
let users = 0;

export function spawnProcess(file: string, args: readonly string[], options: SpawnOptions): SpawnedProcess {
  return resident ? resident.spawn(file, args, options) : spawnLocally(file, args, options);
}

/** Runs a host tool to its end with only `env` and returns how it went (it never rejects). */
export function runProcessToEnd(
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  limits: RunLimits,
): Promise<FinishedRun> {
  return resident ? resident.run(file, args, env, limits) : runLocally(file, args, env, limits);
}

/** Starts the resident spawner (at once, while this process is small); the result releases it. */
export function useResidentSpawner(): () => void {
  users += 1;
  if (!resident) {
    resident = new ResidentSpawner();
    resident.start();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    users -= 1;
    if (users === 0) {
      resident?.close();
      resident = undefined;
    }
  };
}
