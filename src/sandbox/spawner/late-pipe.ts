import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * One end of a process's pipe that exists before the pipe does: the resident spawner hands the real
 * pipe over a moment after the spawn, but callers attach readers and write at once, as they do with
 * Node's own child streams. Writes wait for the pipe; reads come from it once it is here. Like a
 * socket, the stream ends its writable side when its readable side has ended (no half-open pipes).
 */
export class LatePipe extends Duplex {
  #socket: Socket | undefined;
  #writes: { chunk: Buffer | string; encoding: BufferEncoding; callback: (error?: Error | null) => void }[] =
    [];
  #final: ((error?: Error | null) => void) | undefined;

  constructor() {
    super({ allowHalfOpen: false });
  }

  /** The real pipe arrived. */
  attach(socket: Socket): void {
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => {
      this.push(null);
      // Ends at once when nothing is left to read, read by anyone or not (as a socket does): a
      // process's unread, empty stdout must not hold its `close` back.
      this.read(0);
    });
    socket.on('error', (error) => this.destroy(error));
    for (const write of this.#writes.splice(0)) socket.write(write.chunk, write.encoding, write.callback);
    if (this.#final) this.#endSocket(this.#final);
  }

  /** The pipe will never come (the process did not start, or the spawner went away): end quietly. */
  abandon(): void {
    if (this.#socket) return;
    for (const write of this.#writes.splice(0)) write.callback();
    this.push(null);
    this.destroy();
  }

  override _read(): void {
    this.#socket?.resume();
  }

  override _write(
    chunk: Buffer | string,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.#socket) this.#socket.write(chunk, encoding, callback);
    else this.#writes.push({ chunk, encoding, callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#socket) this.#endSocket(callback);
    else this.#final = callback;
  }

  #endSocket(callback: (error?: Error | null) => void): void {
    const socket = this.#socket;
    // A pipe the process already closed has nothing to end.
    if (!socket || socket.destroyed || socket.writableEnded) callback();
    else socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket?.destroy();
    callback(error);
  }
}
