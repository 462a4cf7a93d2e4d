import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerEgressPolicy } from '../network/egress-policy.js';
import type { EgressProxy } from '../sandbox/egress/egress-proxy.js';
import type { Sandbox } from '../sandbox/sandbox-driver.js';
import type { SpawnedProcess } from '../sandbox/spawner/spawned-process.js';
import { ShellSession, type CommandResult } from '../sandbox/shell-session.js';
import { listingOutputLimit, SandboxFiles } from './sandbox-files.js';
import type { ExecRequest } from './shell-host.js';

/**
 * The session Berth's own file listings run in. `@` is outside the characters a client's session name
 * may use, so no client session can share it.
 */
const filesSessionName = '@files';

/**
 * A container whose sandbox is running: its shell sessions (created on first use, by name) and its
 * file operations. Commands of one session run one after another; sessions run side by side.
 */
export class LiveContainer {
  readonly files: SandboxFiles;
  readonly #sessions = new Map<string, ShellSession>();
  /** Per session: the container's count of refused forks when its last command began. */
  readonly #pidsRefusedAtStart = new Map<string, number>();
  #filesSession: ShellSession | undefined;
  /**
   * Set when a command ended abnormally and the sandbox then failed a health check (gVisor, whose
   * limits apply to the whole sandbox, can be left unable to run anything by a fork or memory bomb):
   * the service restarts it, from its files, before it is used again.
   */
  broken = false;
  /** Set by `stop`: a command that ends after it (killed by the teardown) is not health-checked. */
  #stopped = false;
  /** The health check's probe while one runs, so `stop` can end it and wait for it. */
  #probe: { readonly child: SpawnedProcess; readonly closed: Promise<unknown> } | undefined;

  constructor(
    readonly sandbox: Sandbox,
    private readonly limitDescriptions: { memory: string; pids: number },
    private readonly maxSessions: number,
    /** The container's egress proxy, stopped with it; undefined when the server has no egress. */
    private readonly egress?: EgressProxy | undefined,
  ) {
    this.files = new SandboxFiles(sandbox, (command) => this.#runForFiles(command));
  }

  hasSession(name: string): boolean {
    return this.#sessions.has(name);
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async exec(request: ExecRequest): Promise<CommandResult[]> {
    const session = this.#session(request.session);
    const results: CommandResult[] = [];
    for (const [index, command] of request.commands.entries()) {
      if (request.signal?.aborted) break;
      request.onCommandStart?.(index);
      let before = this.sandbox.limitEvents();
      const onOutput = request.onOutput;
      let leftoversKilled = false;
      const result = await session.run(command, {
        timeoutMs: request.timeoutMs,
        maxOutputBytes: request.maxOutputBytes,
        ...(onOutput ? { onOutput: (stream, chunk) => onOutput(index, stream, chunk) } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        // The container refused forks since the session's last command began, and that command left
        // processes running (a fork bomb that returned at once): they are killed, and reaped, before
        // this one starts, or this one could not even fork; the shell and its state are kept. Counted
        // from the last command's start, not its end: a bomb can reach the limit before its command
        // returns and then sit in bash's fork-retry back-off, refusing nothing new for a while.
        killLeftovers: () => {
          const { pidsRefused } = this.sandbox.limitEvents();
          return pidsRefused > (this.#pidsRefusedAtStart.get(request.session) ?? pidsRefused);
        },
        onLeftoversKilled: () => {
          leftoversKilled = true;
          // Refusals while the leftovers were dying were theirs, not this command's.
          before = this.sandbox.limitEvents();
        },
        onStart: () => this.#pidsRefusedAtStart.set(request.session, this.sandbox.limitEvents().pidsRefused),
      });
      const after = this.sandbox.limitEvents();
      let explained = this.#explain(result, before, after);
      if (leftoversKilled) {
        explained = {
          ...explained,
          stderr: `[berth] the processes the previous command left running reached the container's limit of ${this.limitDescriptions.pids} processes and were killed.\n${explained.stderr}`,
        };
      }
      // A command the teardown killed ended abnormally too, but there is no sandbox left to check:
      // probing it (`runc exec` on a deleted container, again and again) would outlive the delete.
      const abnormal =
        !this.#stopped && (result.outcome.type === 'timeout' || result.outcome.exit_code >= 128);
      const broken = abnormal && !(await this.#healthy());
      if (broken) {
        this.broken = true;
        explained = {
          ...explained,
          stderr: `${explained.stderr}[berth] the container's sandbox stopped working and is being restarted: its files are kept, its shell state is lost.\n`,
        };
      }
      results.push(explained);
      request.onCommandDone?.(index, explained);
      if (broken) break;
    }
    return results;
  }

  /**
   * Whether the sandbox can still start a program: `true`, within a few seconds. Tried again until
   * then, since a sandbox whose killed processes are still being reaped (a fork bomb's copies, just
   * SIGKILLed) is briefly at its pids limit without being broken.
   */
  async #healthy(): Promise<boolean> {
    const deadline = Date.now() + healthCheckMs;
    for (;;) {
      if (this.#stopped) return true;
      const child = this.sandbox.spawn(['/usr/bin/true'], 'ignore');
      const closed = new Promise<number | null>((resolve) => {
        child.once('close', (exitCode: number | null) => resolve(exitCode));
        child.once('error', () => resolve(-1));
      });
      this.#probe = { child, closed };
      const code = await Promise.race([closed, sleep(Math.max(0, deadline - Date.now())).then(() => -1)]);
      this.#probe = undefined;
      if (code === 0) return true;
      child.kill('SIGKILL');
      if (Date.now() >= deadline) return false;
      await sleep(healthRetryMs);
    }
  }

  /** Starts a session's shell ahead of its first command (a pooled sandbox's default session). */
  warm(name: string): Promise<unknown> {
    return this.#session(name).run('true', { timeoutMs: 30_000, maxOutputBytes: 1024 });
  }

  /** What new connections from the sandbox may reach from now on (a claimed or changed container). */
  setEgressPolicy(policy: ContainerEgressPolicy): void {
    this.egress?.setPolicy(policy);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const probe = this.#probe;
    if (probe) {
      probe.child.kill('SIGKILL');
      await probe.closed;
    }
    this.#filesSession?.close();
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
    await this.sandbox.stop();
    await this.egress?.close();
  }

  /** Runs one of Berth's own file commands in its session, not counted against the client's sessions. */
  async #runForFiles(command: string): Promise<string> {
    this.#filesSession ??= new ShellSession(this.sandbox.shellLauncher(filesSessionName));
    const result = await this.#filesSession.run(command, {
      timeoutMs: 30_000,
      maxOutputBytes: listingOutputLimit,
    });
    if (result.outcome.type !== 'exit' || result.outcome.exit_code !== 0) {
      throw new Error(`listing the container's files failed: ${result.stderr.trim() || 'timed out'}`);
    }
    return result.stdout;
  }

  #session(name: string): ShellSession {
    let session = this.#sessions.get(name);
    if (!session) {
      if (this.#sessions.size >= this.maxSessions) throw new TooManySessionsError(this.maxSessions);
      session = new ShellSession(this.sandbox.shellLauncher(name));
      this.#sessions.set(name, session);
    }
    return session;
  }

  /** Says so in stderr when a limit killed or refused something during the command. */
  #explain(
    result: CommandResult,
    before: { oomKills: number; pidsRefused: number },
    after: { oomKills: number; pidsRefused: number },
  ): CommandResult {
    const notes: string[] = [];
    if (after.oomKills > before.oomKills) {
      notes.push(
        `[berth] a process was killed: the container reached its memory limit (${this.limitDescriptions.memory}).`,
      );
    }
    if (after.pidsRefused > before.pidsRefused) {
      notes.push(
        `[berth] new processes were refused: the container reached its limit of ${this.limitDescriptions.pids} processes.`,
      );
    }
    if (notes.length === 0) return result;
    const separator = result.stderr.length === 0 || result.stderr.endsWith('\n') ? '' : '\n';
    return { ...result, stderr: `${result.stderr}${separator}${notes.join('\n')}\n` };
  }
}

/** How long the health check after an abnormal command may take. */
const healthCheckMs = 10_000;
/** The pause between its tries. */
const healthRetryMs = 250;

export class TooManySessionsError extends Error {
  constructor(readonly limit: number) {
    super(`A container may have at most ${limit} shell sessions.`);
  }
}
