import { mkdirSync } from 'node:fs';
import { cgroupOwnProcesses, trackingDirectory } from './cgroup-limits.js';

/**
 * A shell session's own cgroup, directly under its sandbox's, in the hierarchy that tracks processes
 * (pids on v1, the unified one on v2) and with no controllers of its own: the sandbox's limits still
 * bound everything in it.
 *
 * Threat: a command's process groups and session are the command's to leave — `setsid`, a daemon's
 * double fork — and a process that left them was out of reach when its command timed out or was
 * cancelled (it ran on, holding the container's process and memory limits, until the container
 * stopped). Cgroup membership is inherited by every fork and cannot be changed from inside the sandbox
 * (its cgroupfs is read-only, and the host's cgroups belong to the host's root), so the processes a
 * command started are found by it, wherever they went.
 */
export function sessionCgroupPath(sandboxCgroup: string, sessionName: string): string {
  // Session names are letters, digits, "_", "-" and "." (the exec route's rule): a safe file name
  // behind the prefix, which also keeps them clear of the cgroup's own files.
  return `${sandboxCgroup}/session-${sessionName}`;
}

/**
 * Makes the session's cgroup (its sandbox's must exist), synchronously because a launcher is made
 * synchronously; `false` when it cannot be made. Left in place when the session ends — a new session
 * of the same name joins it — and removed with the sandbox's cgroup.
 */
export function createSessionCgroup(path: string): boolean {
  try {
    mkdirSync(trackingDirectory(path));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EEXIST';
  }
}

/**
 * The processes in the session's cgroup created after `sincePid` (the kernel's last pid when the
 * command began; see process-groups.ts), other than `shellPid`: what the current command started.
 */
export function sessionProcessesSince(path: string, sincePid: number, shellPid: number): number[] {
  return cgroupOwnProcesses(path).filter((pid) => pid > sincePid && pid !== shellPid);
}
