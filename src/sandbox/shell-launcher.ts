/** How the session's bash is started: a local bash, or one inside a sandbox (bwrap, runc exec, …). */
export interface ShellLauncher {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Set when the spawned process only starts the shell and exits (`runc exec -d`): the file it writes
   * the shell's host pid to. Otherwise the spawned process is the shell.
   */
  readonly pidFile?: string;
  /**
   * Set when the spawned process stays as the shell's parent (`bwrap` forks the shell into the sandbox
   * and passes on its exit status): the shell is the spawned process's only child.
   */
  readonly shellIsChild?: boolean;
  /**
   * Set when the shell runs under a supervisor inside the sandbox (`runsc`: see
   * runsc/session-supervisor.ts), because the runtime passes only stdin, stdout and stderr in and the
   * host can neither see nor signal the sandbox's processes. The session then writes its input to fd 3
   * and reads the status from the same socket (the launcher moves fd 3 onto the supervisor's stdin),
   * and asks the supervisor to signal the command's processes with `supervisorControl` lines.
   */
  readonly supervised?: boolean;
  /**
   * The session's own cgroup (session-cgroup.ts), when the launcher puts the shell in one: a command's
   * processes are then also found there when it is stopped, not only by their process groups.
   */
  readonly cgroup?: string;
}

/**
 * How long a command gets to stop after SIGINT before its process groups are killed. Only a command
 * that ignores SIGINT waits it out (the rest stop when they stop). 300 ms was too short for gVisor on
 * a busy machine: the signal travels through `runsc exec` and the session supervisor, and a plain
 * `sleep` interrupted there was sometimes killed (137) before it could report its SIGINT (130).
 * A supervised session's supervisor times it itself, from when it sends the SIGINT.
 */
export const interruptGraceMs = 1_000;

/**
 * Control lines a supervised session writes between command lines (a command line never holds a NUL):
 * SIGINT to the shell and the current command's process groups (then, by the supervisor itself, more
 * SIGINTs and a SIGKILL over `interruptGraceMs`); SIGKILL to those groups; kill the shell with
 * everything in its session and exit (also what the end of the input means).
 */
export const supervisorControl = { interrupt: '\0INT\n', kill: '\0KILL\n', exit: '\0EXIT\n' } as const;
