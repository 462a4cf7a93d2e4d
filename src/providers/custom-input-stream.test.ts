import { describe, expect, it } from 'vitest';
import { CustomInputStream } from './custom-input-stream.js';

/** Feeds `text` in pieces of `size` characters; returns each piece's decoded text and the total. */
function decode(text: string, size: number): { pieces: string[]; decoded: string } {
  const stream = new CustomInputStream();
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += size)
    pieces.push(stream.push(text.slice(index, index + size)));
  return { pieces, decoded: stream.decoded };
}

describe('CustomInputStream', () => {
  it('decodes the input string as it streams, whatever the piece size', () => {
    const input = 'say "hi" \\ / \u00e9 \ud83d\ude00\n\ttab\u0001';
    const argumentsText = JSON.stringify({ input });
    for (const size of [1, 2, 3, 4, 7, 16, argumentsText.length]) {
      expect(decode(argumentsText, size).decoded).toBe(input);
    }
  });

  it('returns text while the string is still open, not only at the end', () => {
    const { pieces } = decode('{"input":"abcdefgh"}', 4);
    expect(pieces).toEqual(['', '', 'ab', 'cdef', 'gh']);
  });

  it('allows JSON whitespace around the tokens before the string', () => {
    expect(decode(' {\n  "input" : \t"x y"\n}', 3).decoded).toBe('x y');
  });

  it('holds back half of a surrogate pair until its other half arrives', () => {
    const { pieces } = decode('{"input":"\\ud83d\\ude00"}', 16);
    expect(pieces).toEqual(['', '\ud83d\ude00']);
    expect(pieces.every((piece) => !/[\ud800-\udbff]$/.test(piece))).toBe(true);
  });

  it('ignores what follows the closed string', () => {
    expect(decode('{"input":"done","extra":"not input"}', 5).decoded).toBe('done');
  });

  it('stops at arguments of another shape, decoding nothing', () => {
    expect(decode('{"other":1,"input":"x"}', 4).decoded).toBe('');
    expect(decode('*** Begin Patch', 4).decoded).toBe('');
    expect(decode('{"inputs":"x"}', 4).decoded).toBe('');
  });

  it('stops at what JSON forbids inside a string, keeping what came before', () => {
    expect(decode('{"input":"ab\\qcd"}', 4).decoded).toBe('ab');
    expect(decode('{"input":"ab\\u12G4cd"}', 4).decoded).toBe('ab');
    expect(decode('{"input":"ab\ncd"}', 4).decoded).toBe('ab');
  });
});
