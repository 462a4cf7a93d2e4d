import { setImmediate as nextTurn } from 'node:timers/promises';
import { setTimeout as pause } from 'node:timers/promises';

/**
 * Waits until `condition` holds, checking it again after each short pause: for state the code under
 * test offers no event for (a pool refilled, a file a sandboxed command wrote). There is no deadline
 * of its own — the test's timeout is the only one — so a slow machine waits longer instead of failing.
 */
export async function until(condition: () => boolean | Promise<boolean>, pollMs = 20): Promise<void> {
  await nextTurn();
  while (!(await condition())) await pause(pollMs);
}
