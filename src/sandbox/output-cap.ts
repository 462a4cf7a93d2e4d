/**
 * Keeps at most `limit` bytes of a stream: its head and its tail, half each, and counts what was
 * dropped between them, so a flood of output costs bounded memory and the model still sees how the
 * output began and how it ended.
 */
export class OutputCap {
  readonly #limit: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  #dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    const headRoom = Math.ceil(this.#limit / 2) - this.#headBytes;
    if (headRoom > 0) {
      const taken = chunk.subarray(0, headRoom);
      this.#head.push(taken);
      this.#headBytes += taken.length;
      chunk = chunk.subarray(taken.length);
    }
    if (chunk.length === 0) return;
    const tailLimit = Math.floor(this.#limit / 2);
    const tail = Buffer.concat([this.#tail, chunk]);
    const excess = Math.max(0, tail.length - tailLimit);
    this.#dropped += excess;
    this.#tail = tail.subarray(excess);
  }

  /** The kept text, with a line saying how many bytes were dropped when any were. */
  text(): string {
    const head = Buffer.concat(this.#head).toString('utf8');
    const tail = this.#tail.toString('utf8');
    if (this.#dropped === 0) return head + tail;
    return `${head}\n[… ${this.#dropped} bytes of output dropped …]\n${tail}`;
  }

  get droppedBytes(): number {
    return this.#dropped;
  }
}
