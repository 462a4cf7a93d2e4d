import type { SpawnedProcess } from './spawned-process.js';

/** How a process run to its end went: its exit, its output as text, and why it was stopped if it was. */
export interface FinishedRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the run was stopped: it ran too long or printed too much. */
  readonly stopped?: string;
  /** Set when the program could not be started (ENOENT, EACCES). */
  readonly startError?: string;
}

export interface RunLimits {
  /** Written to its stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string | undefined;
  /** The directory it runs in (the spawner's own without it). */
  readonly cwd?: string | undefined;
  readonly timeoutMs: number;
  /** Most bytes of stdout and stderr together before it is stopped. */
  readonly maxOutputBytes: number;
}

/**
 * Feeds a started process its input, collects its output and waits for it to end, stopping it
 * (SIGTERM) when it runs past the timeout or prints past the limit. Used for host tools, in the
 * resident spawner (one message each way per tool) and without it.
 */
export function runToEnd(child: SpawnedProcess, limits: RunLimits): Promise<FinishedRun> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let stopped: string | undefined;
    const stop = (reason: string) => {
      stopped ??= reason;
      child.kill('SIGTERM');
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.maxOutputBytes) stop(`its output passed ${limits.maxOutputBytes} bytes`);
      else into.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    const timer = setTimeout(() => stop(`it ran past ${limits.timeoutMs} ms`), limits.timeoutMs);
    child.once('error', (error: Error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout: '', stderr: '', startError: error.message });
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(stopped === undefined ? {} : { stopped }),
      });
    });
    if (limits.input !== undefined) {
      child.stdin?.on('error', () => undefined); // A tool that exits without reading all of it.
      child.stdin?.end(limits.input);
    }
  });
}
