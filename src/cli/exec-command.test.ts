import { describe, expect, it } from 'vitest';
import { unstreamedNotes } from './exec-command.js';

describe('unstreamedNotes', () => {
  const note = '[berth] new processes were refused: the container reached its limit of 256 processes.';

  it("picks Berth's notes out before or after the command's own text", () => {
    expect(unstreamedNotes(`${note}\nown\n`, 'own\n')).toBe(`${note}\n`);
    expect(unstreamedNotes(`own\n${note}\n`, 'own\n')).toBe(`${note}\n`);
    expect(unstreamedNotes(`${note}\n`, '')).toBe(`${note}\n`);
  });

  it('finds them when the final text was cut to the output limit, unlike what was streamed', () => {
    const streamed = 'bash: fork: retry: Resource temporarily unavailable\n'.repeat(50);
    const final = `${streamed.slice(0, 120)}…1,200 characters truncated…${streamed.slice(-120)}${note}\n`;
    expect(unstreamedNotes(final, streamed)).toBe(`${note}\n`);
  });

  it('does not repeat a line the command printed itself, nor a note inside a line', () => {
    expect(unstreamedNotes('[berth] mine\n', '[berth] mine\n')).toBe('');
    expect(unstreamedNotes('s [berth] x\n', 's [berth] x\n')).toBe('');
    expect(unstreamedNotes('', 'anything')).toBe('');
  });
});
