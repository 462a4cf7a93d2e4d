import { OutputCap } from './output-cap.js';

interface Frame {
  readonly begin: Buffer;
  readonly end: Buffer;
  /** Written by the shell's EXIT trap when the command ends the shell, followed by `<status>\n`. */
  readonly exit: Buffer;
  exited: boolean;
  readonly cap: OutputCap;
  started: boolean;
  readonly onEnd: () => void;
  readonly onData: ((chunk: Buffer) => void) | undefined;
}

/**
 * Reads one output stream of a shell session and cuts out one command's output: the bytes between
 * `\x01SH<nonce>B\x02` and `\x01SH<nonce>E\x02`. Bytes outside a frame (late output of background
 * jobs) are dropped. Markers may arrive split across chunks, so a tail shorter than a marker is kept
 * back until the next chunk.
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);
  #frame: Frame | undefined;
  /** Whether the begin marker of the frame last expected was seen (the shell got to the command). */
  frameStarted = false;

  /**
   * Starts waiting for the frame of `nonce`; `onEnd` runs when its end marker has been read, `onData`
   * (if given) with each piece of the frame's output as it arrives, before any cap.
   */
  expect(nonce: string, limit: number, onEnd: () => void, onData?: (chunk: Buffer) => void): OutputCap {
    const cap = new OutputCap(limit);
    this.frameStarted = false;
    this.#frame = {
      begin: Buffer.from(`\x01SH${nonce}B\x02`),
      end: Buffer.from(`\x01SH${nonce}E\x02`),
      exit: Buffer.from(`\x01SH${nonce}X\x02`),
      exited: false,
      cap,
      started: false,
      onEnd,
      onData,
    };
    this.push(Buffer.alloc(0));
    return cap;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frame = this.#frame;
    if (!frame) {
      // Nothing is being waited for: keep only what could be the start of a marker.
      this.#pending = this.#pending.subarray(Math.max(0, this.#pending.length - 64));
      return;
    }
    if (!frame.started) {
      const at = this.#pending.indexOf(frame.begin);
      if (at < 0) {
        this.#pending = this.#pending.subarray(Math.max(0, this.#pending.length - (frame.begin.length - 1)));
        return;
      }
      frame.started = true;
      this.frameStarted = true;
      this.#pending = this.#pending.subarray(at + frame.begin.length);
    }
    if (frame.exited) return; // The shell is exiting: what follows is its status, read by finish().
    const end = this.#pending.indexOf(frame.end);
    if (end >= 0) {
      this.#deliver(frame, this.#pending.subarray(0, end));
      this.#pending = this.#pending.subarray(end + frame.end.length);
      this.#frame = undefined;
      frame.onEnd();
      return;
    }
    const exit = this.#pending.indexOf(frame.exit);
    if (exit >= 0) {
      this.#deliver(frame, this.#pending.subarray(0, exit));
      this.#pending = this.#pending.subarray(exit + frame.exit.length);
      frame.exited = true;
      return;
    }
    const keep = frame.end.length - 1;
    const safe = Math.max(0, this.#pending.length - keep);
    this.#deliver(frame, this.#pending.subarray(0, safe));
    this.#pending = this.#pending.subarray(safe);
  }

  /**
   * The shell died during the frame: delivers what was held back and returns the status its EXIT trap
   * reported after the exit marker, if it did.
   */
  finish(): number | undefined {
    const frame = this.#frame;
    this.#frame = undefined;
    if (!frame?.started) return undefined;
    if (!frame.exited) {
      this.#deliver(frame, this.#pending);
      this.#pending = Buffer.alloc(0);
      return undefined;
    }
    const status = /^(\d+)\n/.exec(this.#pending.toString('latin1'));
    this.#pending = Buffer.alloc(0);
    return status?.[1] === undefined ? undefined : Number(status[1]);
  }

  #deliver(frame: Frame, bytes: Buffer): void {
    if (bytes.length === 0) return;
    frame.cap.push(bytes);
    frame.onData?.(bytes);
  }
}
