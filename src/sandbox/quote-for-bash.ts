/**
 * Quotes text as one bash ANSI-C string (`$'…'`). Every byte outside printable ASCII, and `'` and
 * `\`, is written as `\xHH`, so no byte of the command can end the quoting, start a new line of the
 * protocol, or be read by the terminal layer. NUL cannot be carried by bash and is rejected.
 */
export function quoteForBash(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let quoted = "$'";
  for (const byte of bytes) {
    if (byte === 0) throw new Error('A command cannot contain a NUL byte.');
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c;
    quoted += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${quoted}'`;
}
