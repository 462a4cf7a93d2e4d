import { StringDecoder } from 'node:string_decoder';

type Stream = 'stdout' | 'stderr';

/**
 * A command's output as it streams to a client watching it live: decoded as UTF-8 (a character split
 * across chunks waits for the rest of it) and cut at `limit` bytes per stream, as the command's final
 * result is capped. Past the cut the deltas stop (the result still has the head, the tail and the count
 * of dropped bytes), so a client that reads slowly or not at all holds at most that much in the server,
 * and a stored stream of events stays bounded.
 */
export class LiveOutput {
  readonly #limit: number;
  #decoders = newDecoders();
  #sent = { stdout: 0, stderr: 0 };

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Starts the next command's output afresh. */
  startCommand(): void {
    this.#decoders = newDecoders();
    this.#sent = { stdout: 0, stderr: 0 };
  }

  /** The text to stream for `chunk`; empty when there is none (yet, or any more). */
  take(stream: Stream, chunk: Buffer): string {
    const room = this.#limit - this.#sent[stream];
    if (room <= 0) return '';
    this.#sent[stream] += Math.min(room, chunk.length);
    return this.#decoders[stream].write(chunk.length > room ? chunk.subarray(0, room) : chunk);
  }
}

function newDecoders(): Record<Stream, StringDecoder> {
  return { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
}
