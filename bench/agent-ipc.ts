import { fork, type ChildProcess } from 'node:child_process';

/** One `POST /v1/responses` as the scripted upstream saw it, in its own `performance.now()` milliseconds. */
export interface UpstreamSpan {
  /** The request's headers were parsed. */
  readonly start: number;
  /** The answer's last byte was handed to the kernel. */
  readonly end: number;
}

/** What the upstream process (agent-upstream.ts) tells the benchmark. */
export type UpstreamMessage =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'scripted' }
  | { readonly type: 'spans'; readonly spans: UpstreamSpan[] };

/** What the Berth process (agent-berth.ts) tells the benchmark. */
export type BerthMessage =
  | { readonly type: 'ready'; readonly url: string; readonly driver: string }
  /** The Berth process's CPU time so far (`process.cpuUsage()`), in microseconds. */
  | { readonly type: 'cpu'; readonly user: number; readonly system: number }
  | { readonly type: 'closed'; readonly forced: string[] };

/**
 * A TypeScript file of the benchmark run as its own Node process with an IPC channel, so the
 * benchmark's client, Berth and the scripted model each have their own event loop (as they would on a
 * real deployment) and none of them is timed on another's CPU.
 */
export class BenchChild<Message extends { readonly type: string }> {
  readonly #waiting: { type: string; resolve: (message: Message) => void }[] = [];
  #exited: Error | undefined;
  readonly #rejecters = new Set<(error: Error) => void>();

  private constructor(readonly process: ChildProcess) {
    process.on('message', (message: Message) => {
      const index = this.#waiting.findIndex((waiter) => waiter.type === message.type);
      if (index >= 0) this.#waiting.splice(index, 1)[0]?.resolve(message);
    });
    process.on('exit', (code, signal) => {
      this.#exited = new Error(`a benchmark process exited (${signal ?? code})`);
      for (const reject of this.#rejecters) reject(this.#exited);
    });
  }

  /** Starts `script` under tsx, with `nodeOptions` (for example `--cpu-prof`) before it. */
  static start<Message extends { readonly type: string }>(
    script: string,
    args: readonly string[],
    nodeOptions: readonly string[] = [],
  ): BenchChild<Message> {
    const child = fork(script, args, {
      execArgv: [...nodeOptions, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new BenchChild<Message>(child);
  }

  /** Resolves with the next message of `type` (sending `message` first, when given). */
  request<Type extends Message['type']>(
    type: Type,
    message?: unknown,
  ): Promise<Extract<Message, { type: Type }>> {
    return new Promise((resolve, reject) => {
      if (this.#exited) {
        reject(this.#exited);
        return;
      }
      const done = (error: Error) => reject(error);
      this.#rejecters.add(done);
      this.#waiting.push({
        type,
        resolve: (reply) => {
          this.#rejecters.delete(done);
          resolve(reply as Extract<Message, { type: Type }>);
        },
      });
      if (message !== undefined) this.process.send(message as object);
    });
  }

  /** Resolves once the process has exited. */
  exited(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.process.once('exit', () => resolve()));
  }
}
