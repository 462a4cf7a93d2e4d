import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastAssignedPid } from './process-groups.js';
import { quoteForBash } from './quote-for-bash.js';
import { RunningShell, type OutputListener } from './running-shell.js';
import { interruptGraceMs, type ShellLauncher } from './shell-launcher.js';

/**
 * One shell command's outcome: the one type for it everywhere — what a session's `run` answers, what
 * the exec endpoint (`POST /v1/containers/{id}/exec`) returns per command, and an entry of a
 * `shell_call_output` item. It is the wire shape (OpenAI's snake_case `exit_code`) on purpose: the
 * session builds it once and nothing above converts it, so the API and the item cannot drift apart.
 * The tool-call log's `exitCode` is the store's own record, converted where it is written.
 */
export interface CommandResult {
  /** What the command wrote to stdout, capped (head and tail) at the request's output limit. */
  readonly stdout: string;
  /** What it wrote to stderr, capped the same way; Berth's own notes start with `[berth]`. */
  readonly stderr: string;
  /** How it ended: its exit status, or killed for outliving its timeout. */
  readonly outcome: { readonly type: 'exit'; readonly exit_code: number } | { readonly type: 'timeout' };
}

export interface RunOptions {
  /** Kill the command after this long; the session survives with its state. */
  readonly timeoutMs: number;
  /** Bytes kept of each of stdout and stderr (head and tail). */
  readonly maxOutputBytes: number;
  /** Called with output as the command produces it (for streaming), uncapped. */
  readonly onOutput?: OutputListener;
  /**
   * Aborting stops the command the way a timeout does (interrupt, then kill), but it is reported with
   * the status the command ended with; the session survives. A cancelled response uses it.
   */
  readonly signal?: AbortSignal;
  /**
   * Asked just before the command starts (in the session's queue, so no other command of the session
   * runs): `true` kills every process the previous command left running — for a fork bomb that went
   * on after its command returned — with the shell and its state kept.
   */
  readonly killLeftovers?: () => boolean;
  /** Called once processes `killLeftovers` asked to kill were found, killed and reaped. */
  readonly onLeftoversKilled?: () => void;
  /** Called in the session's queue just as the command is handed to the shell. */
  readonly onStart?: () => void;
}

const ttyComplaint = /bash: \[\d+: \d+ \(\d+\)\] tcsetattr: Inappropriate ioctl for device\n\n?/g;

/**
 * How long a supervised session's shell gets, beyond the grace its supervisor spends interrupting and
 * then killing the command, to report before the whole shell is killed (its state lost). Generous: it
 * only runs out when the supervisor itself is stuck.
 */
const supervisedBackstopMs = 10_000;

/**
 * A long-lived interactive bash that runs commands one after another and keeps its state (`cd`,
 * variables, functions) between them. Each command's output is framed by markers carrying a random
 * nonce the command never sees (its stdin is /dev/null), and its exit status arrives on a separate
 * channel closed to the command. If the shell dies (`exit`, `set -e`), the next command starts a new
 * one, without the old state.
 */
export class ShellSession {
  readonly #launcher: ShellLauncher;
  #shell: RunningShell | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #previousStatus = 0;
  #closed = false;
  /** Where the last command's processes start (`lastAssignedPid` when it began); see `killLeftovers`. */
  #lastSincePid: number | undefined;

  constructor(launcher: ShellLauncher) {
    this.#launcher = launcher;
  }

  /** Runs `command` after every command queued before it. */
  run(command: string, options: RunOptions): Promise<CommandResult> {
    const result = this.#queue.then(() => this.#run(command, options));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Kills the shell and everything it started. */
  close(): void {
    this.#closed = true;
    this.#shell?.kill();
    this.#shell = undefined;
  }

  async #run(command: string, options: RunOptions): Promise<CommandResult> {
    if (this.#closed) throw new Error('The shell session is closed.');
    const quoted = quoteForBash(command);
    if (!this.#shell || !this.#shell.alive) {
      this.#shell = new RunningShell(this.#launcher);
      this.#previousStatus = 0;
      this.#lastSincePid = undefined;
    }
    const shell = this.#shell;
    if (
      this.#lastSincePid !== undefined &&
      options.killLeftovers?.() &&
      (await shell.killCommandAndWait(this.#lastSincePid))
    ) {
      options.onLeftoversKilled?.();
    }
    options.onStart?.();
    const nonce = randomBytes(16).toString('hex');
    const sincePid = lastAssignedPid();
    this.#lastSincePid = sincePid;
    let timedOut = false;
    const { onOutput } = options;
    // Once the command timed out, what is left is the kill and bash's complaints about it: not streamed.
    const done = shell.expect(
      nonce,
      options.maxOutputBytes,
      onOutput && ((stream, chunk) => (timedOut ? undefined : onOutput(stream, chunk))),
    );
    shell.write(
      `__sh_n=${nonce}; __sh_e=$'\\x01SH${nonce}E\\x02'; builtin printf '\\001SH%sB\\002' ${nonce} >&57; ` +
        `builtin printf '\\001SH%sB\\002' ${nonce} >&58; __sh_ret ${this.#previousStatus}; ` +
        `builtin eval ${quoted} </dev/null 57>&- 58>&- 59>&-; __sh_pc\n`,
    );

    const timer = setTimeout(() => {
      timedOut = true;
      void this.#interrupt(shell, sincePid, done.settled);
    }, options.timeoutMs);
    const stopOnAbort = () => void this.#interrupt(shell, sincePid, done.settled);
    options.signal?.addEventListener('abort', stopOnAbort, { once: true });
    if (options.signal?.aborted) stopOnAbort();
    const status = await done.status;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stopOnAbort);
    // Timed out or cancelled: whatever the command started goes with it, background jobs included.
    if (timedOut || options.signal?.aborted) await shell.killCommandAndWait(sincePid);
    if (status.type === 'exit') this.#previousStatus = status.code;
    let stderr = done.stderr.text();
    // Without a terminal, an interrupted interactive bash complains that it cannot restore one.
    if (timedOut) stderr = stderr.replace(ttyComplaint, '');
    // An interactive bash says `exit` as it exits: that is the shell talking, not the command.
    if (!shell.alive) stderr = stderr.replace(/(^|\n)exit\n$/, '$1');
    // A shell that died before completing anything most likely never started: say why, with what
    // its launcher printed (runc's error, for example), instead of an empty result.
    if (!shell.alive && !shell.reachedCommand && stderr === '' && done.stdout.text() === '') {
      const said = shell.earlyStderr
        .replace(/bash: (cannot set terminal process group|no job control)[^\n]*\n/g, '')
        .trim();
      stderr = `[berth] the session's shell could not be started${said ? `: ${said}` : ''}\n`;
    }
    return {
      stdout: done.stdout.text(),
      stderr,
      outcome: timedOut ? { type: 'timeout' } : { type: 'exit', exit_code: status.code },
    };
  }

  /**
   * SIGINT first: an interactive bash abandons a builtin loop or the rest of the line, and well-behaved
   * programs stop. Whatever is left after a grace period is killed; a shell that still does not
   * report is killed with it (its state is lost; the next command gets a new shell).
   */
  async #interrupt(shell: RunningShell, sincePid: number, settled: Promise<void>): Promise<void> {
    const stoppedWithin = (ms: number) =>
      Promise.race([settled.then(() => true), sleep(ms).then(() => false)]);
    const graceOver = () => stoppedWithin(interruptGraceMs);
    shell.interrupt(sincePid);
    if (shell.supervised) {
      // The supervisor escalates on its own clock (see session-supervisor.ts).
      if (!(await stoppedWithin(interruptGraceMs + supervisedBackstopMs))) shell.kill();
      return;
    }
    // The grace is spent in thirds, re-sending SIGINT to the command's process groups between them,
    // so a child forked as the first signal went out is interrupted too instead of killed (seen on
    // bwrap: `echo started; sleep 30` aborted on "started" ended 137, not 130, about once in ten runs).
    for (let round = 0; round < 3; round += 1) {
      if (await stoppedWithin(interruptGraceMs / 3)) return;
      if (round < 2) shell.interruptCommand(sincePid);
    }
    shell.killCommand(sincePid);
    if (await graceOver()) return;
    shell.kill();
  }
}
