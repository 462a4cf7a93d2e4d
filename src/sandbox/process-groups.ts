import { readdirSync, readFileSync } from 'node:fs';

/** The kernel's most recently assigned pid: processes with a higher pid were created after this read. */
export function lastAssignedPid(): number {
  return Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8').trim());
}

/**
 * The process groups of session `sessionId` (other than the session leader's own group) that contain
 * a process created after `sincePid`: the jobs a command started. Read from /proc, so it sees
 * grandchildren that re-parented or changed group, as long as they stayed in the session.
 */
export function newProcessGroups(sessionId: number, sincePid: number): number[] {
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= sincePid) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // It exited while we looked.
    }
    // Fields after the command name (which may contain spaces and parentheses): state ppid pgrp session.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const group = Number(fields[2]);
    const session = Number(fields[3]);
    if (session === sessionId && group !== sessionId) groups.add(group);
  }
  return [...groups];
}

/** Sends `signal` to each process, ignoring those already gone. */
export function signalProcesses(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already exited.
    }
  }
}

/** Sends `signal` to each process group, ignoring groups that are already gone. */
export function signalGroups(groups: readonly number[], signal: NodeJS.Signals): void {
  for (const group of groups) {
    try {
      process.kill(-group, signal);
    } catch {
      // Already exited.
    }
  }
}
