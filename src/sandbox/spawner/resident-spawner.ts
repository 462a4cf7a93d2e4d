import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { dirname, extname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { hostPath } from '../host-path.js';
import { LatePipe } from './late-pipe.js';
import type { SpawnedProcess, SpawnOptions } from './spawned-process.js';
import type { FinishedRun, RunLimits } from './run-to-end.js';
import type { FromSpawner, ToSpawner } from './spawner-protocol.js';

/** A process the resident spawner started, seen from Berth: its pipes arrive over the channel. */
class RemoteProcess extends EventEmitter implements SpawnedProcess {
  pid: number | undefined;
  exitCode: number | null = null;
  stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: readonly (LatePipe | null)[];
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #openOutputs = 0;

  constructor(
    options: SpawnOptions,
    private readonly sendKill: (signal: NodeJS.Signals) => void,
  ) {
    super();
    this.stdio = options.stdio.map((entry) => (entry === 'pipe' ? new LatePipe() : null));
    this.stdin = this.stdio[0] ?? null;
    this.stdout = this.stdio[1] ?? null;
    this.stderr = this.stdio[2] ?? null;
    // As with Node's ChildProcess, `close` waits for every pipe but stdin to close.
    this.stdio.forEach((pipe, fd) => {
      if (!pipe || fd === 0) return;
      this.#openOutputs += 1;
      pipe.once('close', () => {
        this.#openOutputs -= 1;
        this.#maybeClose();
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.pid === undefined || this.#exit) return false;
    this.sendKill(signal);
    return true;
  }

  receive(message: Exclude<FromSpawner, { type: 'finished' }>, handle: unknown): void {
    switch (message.type) {
      case 'spawned':
        this.pid = message.pid;
        this.emit('spawn');
        break;
      case 'fd':
        this.stdio[message.fd]?.attach(handle as Socket);
        break;
      case 'error': {
        this.abandonPipes();
        const error = Object.assign(new Error(message.message), { code: message.code });
        this.emit('error', error);
        break;
      }
      case 'exit':
        this.exited(message.code, message.signal);
        break;
    }
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exit) return;
    this.#exit = { code, signal };
    this.exitCode = code;
    this.emit('exit', code, signal);
    this.#maybeClose();
  }

  /** The process did not start, or the spawner went away, before its pipes came: they never will. */
  abandonPipes(): void {
    for (const pipe of this.stdio) pipe?.abandon();
  }

  #maybeClose(): void {
    if (this.#exit && this.#openOutputs === 0) this.emit('close', this.#exit.code, this.#exit.signal);
  }
}

/** Where the spawner's entry is: beside this file, compiled (`.js`) or run from source by tsx (`.ts`). */
function spawnerEntry(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  const extension = extname(self);
  return {
    path: join(dirname(self), `spawner-main${extension}`),
    execArgv: extension === '.ts' ? ['--import', 'tsx'] : [],
  };
}

/**
 * Starts processes through a small resident process (`spawner-main.ts`), so that a fork never copies
 * the server's memory while its event loop waits. Forked on first use (the server starts it while it is
 * still small) and again if it dies; a process it had started then counts as killed.
 */
export class ResidentSpawner {
  #channel: ChildProcess | undefined;
  readonly #processes = new Map<number, RemoteProcess>();
  readonly #runs = new Map<number, (finished: FinishedRun) => void>();
  #nextId = 1;
  #closed = false;

  /** Forks the spawner now rather than at the first spawn, while this process is small. */
  start(): void {
    this.#connected();
  }

  spawn(file: string, args: readonly string[], options: SpawnOptions): SpawnedProcess {
    if (this.#closed) throw new Error('The resident spawner is closed.');
    const channel = this.#connected();
    const id = this.#nextId++;
    const process = new RemoteProcess(options, (signal) => this.#send(channel, { type: 'kill', id, signal }));
    this.#processes.set(id, process);
    this.#holdOpen();
    const forget = () => {
      this.#processes.delete(id);
      this.#disconnectWhenIdle();
    };
    process.once('exit', forget);
    process.once('error', forget);
    this.#send(channel, {
      type: 'spawn',
      id,
      file,
      args,
      env: options.env,
      cwd: options.cwd,
      detached: options.detached === true,
      stdio: options.stdio,
    });
    return process;
  }

  /** Runs a host tool to its end in the spawner: one message there, one back with its output. */
  run(
    file: string,
    args: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
    limits: RunLimits,
  ): Promise<FinishedRun> {
    if (this.#closed) return Promise.reject(new Error('The resident spawner is closed.'));
    const channel = this.#connected();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#runs.set(id, (finished) => {
        this.#runs.delete(id);
        this.#disconnectWhenIdle();
        resolve(finished);
      });
      this.#holdOpen();
      this.#send(channel, { type: 'run', id, file, args, env, limits });
    });
  }

  /**
   * Takes no more spawns, and ends the spawner once every process it started has exited: their exits
   * still arrive through it (a teardown's `runc delete` may be running when the server stops).
   */
  close(): void {
    this.#closed = true;
    this.#disconnectWhenIdle();
  }

  /** Whether a process it started still runs or a run waits for its answer. */
  get #busy(): boolean {
    return this.#processes.size > 0 || this.#runs.size > 0;
  }

  /** Keeps the event loop alive exactly while a spawn or a run waits for the spawner. */
  #holdOpen(): void {
    const pipe = this.#channel?.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (this.#busy) pipe?.ref?.();
    else pipe?.unref?.();
  }

  #disconnectWhenIdle(): void {
    this.#holdOpen();
    if (!this.#closed || this.#busy) return;
    this.#channel?.disconnect();
    this.#channel = undefined;
  }

  #send(channel: ChildProcess, message: ToSpawner): void {
    if (channel.connected) channel.send(message);
  }

  #connected(): ChildProcess {
    if (this.#channel?.connected) return this.#channel;
    const entry = spawnerEntry();
    // Only PATH: the spawner never holds the server's environment (its API keys among it).
    const channel = fork(entry.path, [], {
      execArgv: entry.execArgv,
      env: { PATH: hostPath },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    channel.on('message', (message: FromSpawner, handle: unknown) => {
      if (message.type === 'finished') this.#runs.get(message.id)?.(message.run);
      else this.#processes.get(message.id)?.receive(message, handle);
    });
    channel.once('exit', () => this.#lost(channel));
    channel.on('error', () => undefined); // A send racing its exit; the exit handler cleans up.
    // An idle spawner does not keep Berth running; one with work under way does (`#holdOpen`), or a
    // process that is only waiting for the spawner's answer would exit (Node's code 13) meanwhile.
    channel.unref();
    (channel.channel as { unref?: () => void } | null | undefined)?.unref?.();
    this.#channel = channel;
    this.#holdOpen();
    return channel;
  }

  /**
   * The spawner died (killed, out of memory). The processes it started live on, but their exits can no
   * longer be reported: each is killed and reported killed, so no caller waits forever on one.
   */
  #lost(channel: ChildProcess): void {
    if (this.#channel === channel) this.#channel = undefined;
    for (const process of this.#processes.values()) {
      if (process.pid !== undefined) {
        try {
          globalThis.process.kill(process.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      process.abandonPipes();
      process.exited(null, 'SIGKILL');
    }
    this.#processes.clear();
    for (const finish of [...this.#runs.values()]) {
      finish({
        code: null,
        signal: null,
        stdout: '',
        stderr: '',
        startError: 'the resident spawner stopped',
      });
    }
  }
}
