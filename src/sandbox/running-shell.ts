import { readdirSync, readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameReader } from './frame-reader.js';
import { cgroupOwnProcesses } from './cgroup-limits.js';
import { newProcessGroups, signalGroups, signalProcesses } from './process-groups.js';
import { sessionProcessesSince } from './session-cgroup.js';
import { supervisorControl, type ShellLauncher } from './shell-launcher.js';
import { spawnProcess } from './spawner/spawn-process.js';
import type { SpawnedProcess } from './spawner/spawned-process.js';

/** Receives a command's output as it is produced (for streaming), uncapped. */
export type OutputListener = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

/**
 * Set once at start. Prompts are emptied; history, `!` expansion and mail checks are off; job control
 * (`-m`) puts every command's jobs in process groups of their own so a timeout can kill them without
 * killing the shell. The real stdout/stderr/status fds are kept on 57/58/59 and closed for commands,
 * so a command cannot write the status channel. `__sh_pc` writes the end markers and the status once
 * per nonce, both as each line's trailer and from PROMPT_COMMAND (which also runs after an interrupted
 * line). A command that ends the shell (`exit 3`) cannot reach the status channel (it is closed for
 * the command, and so for the EXIT trap that then runs): the trap writes its status after an exit
 * marker on stderr instead, framed by the same nonce.
 */
const initScript = [
  "PS1='' PS2='' PS0='' PS4='+ '; unset HISTFILE MAILCHECK; set +H +o history -m; exec 57>&1 58>&2 59>&3 3>&-;",
  '__sh_pc(){ local r=$?; if [[ $__sh_d != "$__sh_n" ]]; then builtin printf \'%s\' "$__sh_e" >&57; builtin printf \'%s\' "$__sh_e" >&58;',
  'builtin printf \'%s %d\\n\' "$__sh_n" "$r" >&59; __sh_d=$__sh_n; fi; return $r; };',
  '__sh_x(){ local r=$?; builtin printf \'\\001SH%sX\\002%d\\n\' "$__sh_n" "$r" >&2; }; trap __sh_x EXIT;',
  // `exit` in the shell itself (not in a subshell) reports first and exits quietly: an interactive
  // bash would otherwise print "exit" into the command's stderr.
  'exit(){ local c=${1-$?}; if [[ $BASHPID == "$$" ]]; then __sh_ret "$c"; __sh_x; trap - EXIT; builtin exit "$c" 2>/dev/null; fi; builtin exit "$@"; };',
  '__sh_ret(){ return $1; }; PROMPT_COMMAND=__sh_pc; __sh_n=boot; __sh_d=boot\n',
].join(' ');

export interface Expectation {
  readonly stdout: ReturnType<FrameReader['expect']>;
  readonly stderr: ReturnType<FrameReader['expect']>;
  /** The exit status, or the shell's own exit when it died during the command. */
  readonly status: Promise<{ type: 'exit'; code: number }>;
  /** Settles when the command has fully reported (or the shell died). */
  readonly settled: Promise<void>;
}

/** One bash process and the three readers of its stdout, stderr and status channel. */
export class RunningShell {
  readonly #child: SpawnedProcess;
  readonly #stdin: Writable;
  readonly #pidFile: string | undefined;
  readonly #shellIsChild: boolean;
  readonly #supervised: boolean;
  readonly #cgroup: string | undefined;
  readonly #stdout = new FrameReader();
  readonly #stderr = new FrameReader();
  #statusBuffer = '';
  #onStatus: ((line: string) => void) | undefined;
  #onExit: ((code: number) => void) | undefined;
  #shellPid: number | undefined;
  readonly #stdoutEnded: Promise<void>;
  /** The start of its stderr before it reached a command: what a launcher that failed printed. */
  earlyStderr = '';
  #ranCommand = false;
  readonly #stderrEnded: Promise<void>;
  alive = true;

  constructor(launcher: ShellLauncher) {
    // detached: the spawned process leads a session and process group of its own, so its jobs are
    // found by session id and killing them never reaches the server.
    this.#child = spawnProcess(launcher.command, launcher.args, {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: launcher.env ?? {},
      ...(launcher.cwd ? { cwd: launcher.cwd } : {}),
    });
    this.#pidFile = launcher.pidFile;
    this.#shellIsChild = launcher.shellIsChild === true;
    this.#supervised = launcher.supervised === true;
    this.#cgroup = launcher.cgroup;
    // The pid is known once the process runs (at once from this process, a moment later through the
    // resident spawner).
    if (!this.#pidFile && !this.#shellIsChild && !this.#supervised) {
      this.#child.once('spawn', () => (this.#shellPid = this.#child.pid));
    }
    // Node destroys a child's stdin when the spawned process exits. A launcher such as `runc exec -d`
    // exits as soon as the shell runs, so the stream is taken off the child object to keep it open.
    this.#stdin = this.#child.stdin as Writable;
    this.#child.stdin = null;
    if (this.#supervised) {
      this.#stdin.destroy(); // Unused: the supervisor reads its input from fd 3.
      this.#stdin = this.#child.stdio[3] as Writable;
    }
    this.#stdin.on('error', () => undefined);
    this.#child.stdout?.on('data', (chunk: Buffer) => this.#stdout.push(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      if (this.earlyStderr.length < earlyStderrLimit && !this.#ranCommand && !this.reachedCommand) {
        this.earlyStderr += chunk.toString('utf8').slice(0, earlyStderrLimit - this.earlyStderr.length);
      }
      this.#stderr.push(chunk);
    });
    this.#stdoutEnded = ended(this.#child.stdout);
    this.#stderrEnded = ended(this.#child.stderr);
    const status = this.#child.stdio[3] as Readable | null;
    status?.on('data', (chunk: Buffer) => {
      this.#statusBuffer += chunk.toString('utf8');
      let newline = this.#statusBuffer.indexOf('\n');
      while (newline >= 0) {
        const line = this.#statusBuffer.slice(0, newline);
        this.#statusBuffer = this.#statusBuffer.slice(newline + 1);
        this.#onStatus?.(line);
        newline = this.#statusBuffer.indexOf('\n');
      }
    });
    // The shell is gone when its status channel closes (only the shell holds it): this works whether
    // the spawned process is the shell or a launcher that exited long ago.
    // A shell that exits during a command (`exit 3`) can only report its status to its parent: when
    // the launcher has exited, that status is lost and the command is reported as killed (137).
    status?.on('close', () => {
      if (this.#pidFile) this.#died(137);
    });
    this.#child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      if (!this.#pidFile) this.#died(code ?? (signal ? 128 + (signalNumbers[signal] ?? 0) : 1));
      else if (code !== 0) this.#died(127); // The launcher failed to start the shell.
    });
    this.#child.on('error', () => this.#died(127));
    this.write(initScript);
  }

  #died(code: number): void {
    if (!this.alive) return;
    this.alive = false;
    this.#stdin.destroy();
    // The output sockets may still hold the command's last bytes and the EXIT trap's status: wait for
    // them to end — but not for long, since a background job may keep them open.
    void Promise.race([Promise.all([this.#stdoutEnded, this.#stderrEnded]), sleep(outputDrainMs)]).then(
      () => {
        this.#stdout.finish();
        const reported = this.#stderr.finish();
        this.#onExit?.(reported ?? code);
      },
    );
  }

  /** Whether the shell got as far as the current command (its begin marker was seen). */
  get reachedCommand(): boolean {
    return this.#stdout.frameStarted || this.#stderr.frameStarted;
  }

  /** The shell's pid as the host sees it (it leads its own session), once known. */
  shellPid(): number | undefined {
    if (this.#shellPid === undefined && this.#shellIsChild && this.#child.pid !== undefined) {
      this.#shellPid = childOf(this.#child.pid);
    }
    if (this.#shellPid === undefined && this.#pidFile) {
      try {
        this.#shellPid = Number(readFileSync(this.#pidFile, 'utf8').trim()) || undefined;
      } catch {
        // Not written yet.
      }
    }
    return this.#shellPid;
  }

  expect(nonce: string, limit: number, onOutput?: OutputListener): Expectation {
    let outputsLeft = 2;
    let statusCode: number | undefined;
    let resolveStatus!: (status: { type: 'exit'; code: number }) => void;
    let resolveSettled!: () => void;
    const status = new Promise<{ type: 'exit'; code: number }>((resolve) => (resolveStatus = resolve));
    const settled = new Promise<void>((resolve) => (resolveSettled = resolve));
    const finish = () => {
      if (outputsLeft === 0 && statusCode !== undefined) {
        this.#onStatus = undefined;
        this.#onExit = undefined;
        this.#ranCommand = true;
        resolveStatus({ type: 'exit', code: statusCode });
        resolveSettled();
      }
    };
    const pattern = new RegExp(`^${nonce} (-?\\d+)$`);
    this.#onStatus = (line) => {
      // Only a line with this command's nonce counts; anything else on the channel is ignored.
      const match = pattern.exec(line);
      if (match?.[1] === undefined) return;
      statusCode = Number(match[1]);
      finish();
    };
    this.#onExit = (code) => {
      this.#onStatus = undefined;
      resolveStatus({ type: 'exit', code });
      resolveSettled();
    };
    const onEnd = () => {
      outputsLeft -= 1;
      finish();
    };
    const stdout = this.#stdout.expect(
      nonce,
      limit,
      onEnd,
      onOutput && ((chunk) => onOutput('stdout', chunk)),
    );
    const stderr = this.#stderr.expect(
      nonce,
      limit,
      onEnd,
      onOutput && ((chunk) => onOutput('stderr', chunk)),
    );
    return { stdout, stderr, status, settled };
  }

  /** True when a supervisor inside the sandbox runs the shell and signals its commands. */
  get supervised(): boolean {
    return this.#supervised;
  }

  write(text: string): void {
    if (this.alive) this.#stdin.write(text);
  }

  /** SIGINT to the shell and to the process groups the current command created. */
  interrupt(sincePid: number): void {
    if (this.#supervised) return this.write(supervisorControl.interrupt);
    const pid = this.shellPid();
    if (pid === undefined) return;
    try {
      if (this.alive) process.kill(pid, 'SIGINT');
    } catch {
      // Already gone.
    }
    signalGroups(newProcessGroups(pid, sincePid), 'SIGINT');
  }

  /**
   * SIGINT again to the process groups the current command created, not to the shell: a process the
   * command forked just as the first SIGINT went out (between its fork and its own process group)
   * missed it. The shell itself is not signalled twice, since a second SIGINT would reach it at its
   * prompt. Under a supervisor the one interrupt covers this.
   */
  interruptCommand(sincePid: number): void {
    if (this.#supervised) return;
    const pid = this.shellPid();
    if (pid !== undefined) signalGroups(newProcessGroups(pid, sincePid), 'SIGINT');
  }

  /**
   * SIGKILL to the process groups the current (or, between commands, the last) command created; the
   * shell survives. Repeated until none is left, for a fork bomb whose copies keep making new groups
   * between one pass over /proc and the kill (a bounded number of passes: each one kills every group
   * it found, so a bomb loses ground on each).
   */
  killCommand(sincePid: number): void {
    if (this.#supervised) return this.write(supervisorControl.kill);
    const pid = this.shellPid();
    if (pid === undefined) return;
    for (let pass = 0; pass < killPasses; pass += 1) {
      const groups = newProcessGroups(pid, sincePid);
      const escaped = this.#escaped(pid, sincePid);
      if (groups.length === 0 && escaped.length === 0) return;
      signalGroups(groups, 'SIGKILL');
      signalProcesses(escaped, 'SIGKILL');
    }
  }

  /**
   * The command's processes by the session's cgroup, where it has one: those that left the shell's
   * session (`setsid`, a daemon's double fork), which no process group reaches, among them.
   */
  #escaped(shellPid: number, sincePid: number): number[] {
    return this.#cgroup ? sessionProcessesSince(this.#cgroup, sincePid, shellPid) : [];
  }

  /**
   * `killCommand`, then waits until none of the command's processes is left, zombies included: a
   * SIGKILLed process holds its pid (and its place under the container's pids limit) until its parent
   * or the sandbox's init reaps it, and a command started before then can be refused its first fork
   * (seen with 3 test files at once on 2 cores: a killed fork bomb's leftovers made the next command
   * fail with `fork: Resource temporarily unavailable`). Killing continues while waiting, for copies
   * forked after a pass. Gives up after `patienceMs`, so a reaper that never comes does not hang the
   * session; the command then runs and reports what it meets. Resolves to whether there was anything
   * to kill (always `true` under a supervisor, which kills inside the sandbox and does not say).
   */
  async killCommandAndWait(sincePid: number, patienceMs = killPatienceMs): Promise<boolean> {
    if (this.#supervised) {
      this.killCommand(sincePid);
      return true;
    }
    const pid = this.shellPid();
    if (pid === undefined) return false;
    if (newProcessGroups(pid, sincePid).length === 0 && this.#escaped(pid, sincePid).length === 0) {
      return false;
    }
    this.killCommand(sincePid);
    const deadline = Date.now() + patienceMs;
    for (;;) {
      const groups = newProcessGroups(pid, sincePid);
      const escaped = this.#escaped(pid, sincePid);
      if ((groups.length === 0 && escaped.length === 0) || Date.now() >= deadline) return true;
      signalGroups(groups, 'SIGKILL');
      signalProcesses(escaped, 'SIGKILL');
      await sleep(killRecheckMs);
    }
  }

  kill(): void {
    if (this.#supervised) {
      // The supervisor kills the shell and its session and exits; the end of its input says the same.
      if (this.alive) this.#stdin.end(supervisorControl.exit);
      return;
    }
    const pid = this.shellPid();
    if (pid === undefined) {
      this.#child.kill('SIGKILL');
      return;
    }
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    signalGroups(newProcessGroups(pid, 0), 'SIGKILL');
    // And what left the session: everything in the session's cgroup goes with the shell.
    if (this.#cgroup) signalProcesses(cgroupOwnProcesses(this.#cgroup), 'SIGKILL');
  }
}

/** The child of `parent` (bwrap's forked sandbox process), from the host's /proc. */
function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(entry);
    } catch {
      // It exited while we looked.
    }
  }
  return undefined;
}

/** Most passes `killCommand` makes over the command's process groups. */
const killPasses = 50;

/** How long `killCommandAndWait` waits for the killed processes to be reaped, at most. */
const killPatienceMs = 10_000;

/** How often `killCommandAndWait` looks again at what is left of the command. */
const killRecheckMs = 10;

/** How much of a shell's first stderr is kept to explain a shell that never started. */
const earlyStderrLimit = 4096;

/** How long a dead shell's output streams get to deliver their last bytes. */
const outputDrainMs = 200;

function ended(stream: Readable | null): Promise<void> {
  return new Promise((resolve) => {
    if (!stream) return resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
