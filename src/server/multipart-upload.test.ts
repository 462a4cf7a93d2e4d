import { describe, expect, it } from 'vitest';
import { nestBracketedFields, toDisplayFilename } from './multipart-upload.js';

describe('toDisplayFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\notes.txt', 'notes.txt'],
    ['dir/', 'file'],
    ['..', 'file'],
    ['.', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['nul\u0000byte\u0007.txt', 'nulbyte.txt'],
    ['  spaced.txt  ', 'spaced.txt'],
    ['résumé ✓.pdf', 'résumé ✓.pdf'],
  ])('%j becomes %j', (name, expected) => {
    expect(toDisplayFilename(name)).toBe(expected);
  });

  it('keeps at most 255 UTF-8 bytes without splitting a character', () => {
    const name = toDisplayFilename('é'.repeat(200));
    expect(Buffer.byteLength(name)).toBe(254);
    expect(name).toBe('é'.repeat(127));
  });
});

describe('nestBracketedFields', () => {
  it('turns the openai client’s bracketed names into objects one level deep', () => {
    expect(
      nestBracketedFields({
        purpose: 'batch',
        'expires_after[anchor]': 'created_at',
        'expires_after[seconds]': '3600',
      }),
    ).toEqual({ purpose: 'batch', expires_after: { anchor: 'created_at', seconds: '3600' } });
  });

  it('keeps names it cannot nest as they are', () => {
    expect(nestBracketedFields({ a: '1', 'a[b]': '2', 'x[y][z]': '3' })).toEqual({
      a: '1',
      'a[b]': '2',
      'x[y][z]': '3',
    });
  });

  it('never writes to Object.prototype', () => {
    const nested = nestBracketedFields({ '__proto__[polluted]': 'yes', 'constructor[prototype]': 'x' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(nested).sort()).toEqual(['__proto__', 'constructor']);
  });
});
