/**
 * The messages between Berth and its resident spawner (`spawner-main.ts`), over Node's IPC channel.
 * Pipes are not described here: each travels as a handle attached to an `fd` message.
 */
import type { FinishedRun, RunLimits } from './run-to-end.js';
import type { StdioEntry } from './spawned-process.js';

export type { StdioEntry } from './spawned-process.js';

export interface SpawnMessage {
  readonly type: 'spawn';
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string | undefined;
  readonly detached: boolean;
  readonly stdio: readonly StdioEntry[];
}

export interface KillMessage {
  readonly type: 'kill';
  readonly id: number;
  readonly signal: NodeJS.Signals;
}

/** Runs a host tool to its end here and answers with `finished`: one message each way. */
export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly limits: RunLimits;
}

export type ToSpawner = SpawnMessage | KillMessage | RunMessage;

/** Sent once the process runs; its pipes follow, one `fd` message each, in fd order. */
export interface SpawnedMessage {
  readonly type: 'spawned';
  readonly id: number;
  readonly pid: number;
}

/** Carries one pipe as the message's handle. */
export interface FdMessage {
  readonly type: 'fd';
  readonly id: number;
  readonly fd: number;
}

export interface ExitMessage {
  readonly type: 'exit';
  readonly id: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The process could not be started (ENOENT, EACCES, a bad cwd). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly code: string | undefined;
  readonly message: string;
}

export interface FinishedMessage {
  readonly type: 'finished';
  readonly id: number;
  readonly run: FinishedRun;
}

export type FromSpawner = SpawnedMessage | FdMessage | ExitMessage | ErrorMessage | FinishedMessage;
