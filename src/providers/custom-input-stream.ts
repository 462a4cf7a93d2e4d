/**
 * What the arguments of a custom tool's function form open with. JSON allows whitespace before each
 * token, so the matcher skips it at the positions in `whitespaceBefore` (never inside `"input"`).
 */
const opening = '{"input":"';
const whitespaceBefore: ReadonlySet<number> = new Set([0, 1, 8, 9]);
const jsonWhitespace: ReadonlySet<string> = new Set([' ', '\t', '\n', '\r']);

const simpleEscapes: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

/**
 * Decodes, as it streams, the `input` string of function arguments `{"input": "…"}`: the form a custom
 * tool's call takes on providers without custom tools (see custom-tool-as-function.ts). Decoding as
 * the JSON arrives lets a client see `custom_tool_call_input.delta` events while the model writes, as
 * it would from OpenAI, rather than the whole input at the end.
 *
 * Only that one shape is decoded. Arguments that start any other way (another key first, text that
 * is not JSON) stop the decoding, and so does anything JSON forbids inside the string; the caller then
 * learns the input only from the whole arguments when the call ends. Whatever comes after the string
 * closes is ignored here for the same reason.
 *
 * @example
 * const stream = new CustomInputStream();
 * stream.push('{"input": "a\\'); // "a"
 * stream.push('nb"}'); // "\nb"
 */
export class CustomInputStream {
  #state: 'opening' | 'string' | 'closed' | 'stopped' = 'opening';
  /** How much of `opening` has been matched. */
  #matched = 0;
  /** An escape sequence cut off by the end of a delta, from its backslash. */
  #escape = '';
  /** A high surrogate held back until its low half comes: half a character is not text to show. */
  #heldSurrogate = '';
  #decoded = '';

  /** The input text decoded and returned so far. */
  get decoded(): string {
    return this.#decoded;
  }

  /** Feeds the next piece of the arguments text; returns the input text it adds ('' for none). */
  push(argumentsDelta: string): string {
    let added = '';
    for (const character of argumentsDelta) {
      if (this.#state === 'opening') this.#matchOpening(character);
      else if (this.#state === 'string') added += this.#decode(character);
      else break;
    }
    if (this.#state !== 'string') {
      // A string that closed or stopped keeps no half character back.
      added += this.#heldSurrogate;
      this.#heldSurrogate = '';
    }
    this.#decoded += added;
    return added;
  }

  #matchOpening(character: string): void {
    if (whitespaceBefore.has(this.#matched) && jsonWhitespace.has(character)) return;
    if (character !== opening[this.#matched]) {
      this.#state = 'stopped';
      return;
    }
    this.#matched += 1;
    if (this.#matched === opening.length) this.#state = 'string';
  }

  /** One character of the string's JSON text; returns the text it completes. */
  #decode(character: string): string {
    if (this.#escape !== '') return this.#continueEscape(character);
    if (character === '\\') {
      this.#escape = character;
      return '';
    }
    if (character === '"') {
      this.#state = 'closed';
      return '';
    }
    // A raw control character is not JSON: the whole arguments will not parse, so decoding stops.
    if (character < ' ') {
      this.#state = 'stopped';
      return '';
    }
    return this.#release(character);
  }

  #continueEscape(character: string): string {
    this.#escape += character;
    if (this.#escape.length === 2 && character !== 'u') {
      const decoded = simpleEscapes.get(character);
      this.#escape = '';
      if (decoded === undefined) {
        this.#state = 'stopped';
        return '';
      }
      return this.#release(decoded);
    }
    if (this.#escape.length < 6) return '';
    const hex = this.#escape.slice(2);
    this.#escape = '';
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
      this.#state = 'stopped';
      return '';
    }
    return this.#release(String.fromCharCode(Number.parseInt(hex, 16)));
  }

  /** Text to return, holding back a trailing high surrogate until the character it starts is whole. */
  #release(text: string): string {
    const joined = this.#heldSurrogate + text;
    const last = joined.charCodeAt(joined.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#heldSurrogate = joined.slice(-1);
      return joined.slice(0, -1);
    }
    this.#heldSurrogate = '';
    return joined;
  }
}
