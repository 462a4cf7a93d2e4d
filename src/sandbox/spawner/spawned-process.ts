import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';

/** What one of a process's standard streams (by fd) is: a pipe to Berth, nothing, or a file. */
export type StdioEntry = 'pipe' | 'ignore' | { readonly appendTo: string };

/** How to start a process: its streams by fd, its whole environment, its directory and session. */
export interface SpawnOptions {
  readonly stdio: readonly StdioEntry[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string | undefined;
  /** Leads a session and process group of its own (`setsid`), so signals to it never reach Berth. */
  readonly detached?: boolean;
}

/**
 * A started process, as Berth uses one: the subset of Node's ChildProcess that both spawners give
 * (`pid` is known after the `spawn` event; the streams exist at once). Events: `spawn`, `error` (not
 * started), `exit` (code, signal), `close` (code, signal; after `exit` and the output pipes closed).
 */
export interface SpawnedProcess extends EventEmitter {
  readonly pid?: number | undefined;
  /** Set when it has exited by itself (null until then, and when a signal ended it). */
  readonly exitCode: number | null;
  stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: readonly (Readable | Writable | null | undefined)[];
  kill(signal?: NodeJS.Signals): boolean;
}
