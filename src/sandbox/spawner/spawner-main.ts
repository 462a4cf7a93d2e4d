/**
 * Berth's resident spawner: a small process, forked once at start-up while the server is still small,
 * that starts every sandbox process and host tool for it. Why: Linux's fork() — which Node uses for
 * every spawn — copies the parent's page tables while the parent's thread waits, so a spawn from a
 * server holding hundreds of MB stalled its event loop for tens of milliseconds each time (22 ms at
 * 576 MB here), and under load those stalls queued every request behind them. Here the fork copies
 * this process's few tens of MB, and whatever it costs is paid outside the server's event loop.
 *
 * It holds nothing secret: it is started with an empty environment but PATH, and every process gets
 * exactly the environment its request names. Its pipes are handed to Berth over the IPC channel, so
 * process output never passes through here. It exits when Berth does (the channel closes).
 */
import type { ChildProcess, SendHandle } from 'node:child_process';
import { runLocally, spawnChild } from './local-spawn.js';
import type { FromSpawner, RunMessage, SpawnMessage, ToSpawner } from './spawner-protocol.js';

const children = new Map<number, ChildProcess>();

function send(message: FromSpawner, handle?: SendHandle): void {
  // A send after Berth went away has nowhere to go; the disconnect handler ends this process.
  if (process.connected) process.send?.(message, handle);
}

function start(message: SpawnMessage): void {
  let child: ChildProcess;
  try {
    child = spawnChild(message.file, message.args, message);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    send({ type: 'error', id: message.id, code: failure.code, message: failure.message });
    return;
  }
  if (child.pid === undefined) {
    // Not started (ENOENT, EACCES): Node reports it on the next tick.
    child.once('error', (error: NodeJS.ErrnoException) => {
      send({ type: 'error', id: message.id, code: error.code, message: error.message });
    });
    return;
  }
  children.set(message.id, child);
  child.on('error', () => undefined); // A failed kill; the exit still comes.
  send({ type: 'spawned', id: message.id, pid: child.pid });
  message.stdio.forEach((entry, fd) => {
    const stream = child.stdio[fd];
    if (entry !== 'pipe' || !stream) return;
    // Node starts reading a new pipe as soon as it wraps it, and sending a handle does not stop that:
    // bytes the process writes before Berth acknowledges the pipe would be read here and dropped.
    // Reading stops now, in the tick that spawned it, before any poll could read a byte.
    const handle = (stream as unknown as { _handle: { readStop(): number; reading: boolean } })._handle;
    handle.readStop();
    handle.reading = false;
    // Sent without keepOpen: this process closes its end once Berth has the pipe, so Berth's
    // close is what the process sees (EOF on its stdin).
    send({ type: 'fd', id: message.id, fd }, stream as SendHandle);
  });
  // Node destroys a child's stdin when it exits; the pipe belongs to Berth now, not to this object.
  child.stdin = null;
  child.once('exit', (code, signal) => {
    children.delete(message.id);
    send({ type: 'exit', id: message.id, code, signal });
  });
}

/** A host tool run here to its end: its output comes back in one message, no pipes change hands. */
function run(message: RunMessage): void {
  void runLocally(message.file, message.args, message.env, message.limits).then((finished) =>
    send({ type: 'finished', id: message.id, run: finished }),
  );
}

process.on('message', (message: ToSpawner) => {
  if (message.type === 'run') run(message);
  else if (message.type === 'spawn') start(message);
  else if (message.type === 'kill') children.get(message.id)?.kill(message.signal);
});
// Berth exited (or crashed): the processes started for it are its to clean up (it reaps orphaned
// sandboxes at start), so this process just goes.
process.on('disconnect', () => process.exit(0));
