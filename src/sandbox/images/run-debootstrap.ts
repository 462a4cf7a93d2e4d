import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ImageBuildError, ImageBuildInterruptedError } from './image-build-error.js';

/** The system directories host tools are looked up in, whatever the caller's PATH. */
export const systemPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** How long debootstrap gets to unmount and exit after SIGTERM before its group is killed. */
const terminateGraceMs = 20_000;

export interface DebootstrapRun {
  readonly executable: string;
  readonly args: readonly string[];
  /** Aborting stops debootstrap and everything it started. */
  readonly signal?: AbortSignal | undefined;
  /** Each line debootstrap prints, on either stream. */
  readonly onLine: (line: string) => void;
}

/**
 * Runs debootstrap to the end. It gets only PATH, a fixed locale (its messages are parsed) and the
 * proxy settings, never the rest of the caller's environment (API keys live there).
 *
 * It runs in a process group of its own, so stopping it reaches the dpkg and maintainer scripts it
 * runs too: on abort the group gets SIGTERM, which debootstrap traps to unmount the /proc and /sys
 * it mounted inside the tree; if it is still there after a grace period the group is killed, and
 * the caller's cleanup (`removeTree`) detaches whatever mounts remain.
 */
export function runDebootstrap(run: DebootstrapRun): Promise<void> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) {
      reject(new ImageBuildInterruptedError());
      return;
    }
    const child = spawn(run.executable, [...run.args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: debootstrapEnvironment(process.env),
    });
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        run.onLine(line);
      });
    }
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const onAbort = (): void => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), terminateGraceMs);
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      run.signal?.removeEventListener('abort', onAbort);
      reject(new ImageBuildError(`could not run ${run.executable}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      run.signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (run.signal?.aborted) reject(new ImageBuildInterruptedError());
      else if (code === 0) resolve();
      else
        reject(
          new ImageBuildError(
            `debootstrap failed (${code === null ? signal : `exit ${code}`}):\n${explain(tail)}`,
          ),
        );
    });
  });
}

/** The environment debootstrap runs with. */
export function debootstrapEnvironment(environment: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = { PATH: systemPath, LC_ALL: 'C' };
  for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    const value = environment[name];
    if (value) kept[name] = value;
  }
  return kept;
}

/** debootstrap's error and warning lines when it printed any, else its last lines. */
function explain(tail: readonly string[]): string {
  const problems = tail.filter((line) => /^[EW]: /.test(line));
  return (problems.length > 0 ? problems : tail.slice(-15)).map((line) => `  ${line}`).join('\n');
}
