import { describe, expect, it } from 'vitest';
import { compactionTranscript } from './compaction-transcript.js';

describe('compactionTranscript', () => {
  it('writes apply_patch and local_shell calls and their outputs as text', () => {
    const transcript = compactionTranscript([
      {
        type: 'apply_patch_call',
        call_id: 'c1',
        status: 'completed',
        operation: { type: 'update_file', path: 'a.py', diff: '@@\n-a\n+b' },
      },
      { type: 'apply_patch_call_output', call_id: 'c1', status: 'failed', output: 'no match' },
      {
        type: 'local_shell_call',
        id: 'lsh_1',
        call_id: 'c2',
        status: 'completed',
        action: { type: 'exec', command: ['git', 'status'], env: {} },
      },
      { type: 'local_shell_call_output', id: 'c2', output: '{"output":"clean"}' },
    ]);
    expect(transcript).toBe(
      [
        '[assistant called apply_patch: update_file a.py]\n@@\n-a\n+b',
        '[apply_patch failed]\nno match',
        '[assistant ran a local command]\n$ git status',
        '[local command output]\n{"output":"clean"}',
      ].join('\n\n'),
    );
  });

  it('writes each kind of item as a labelled section', () => {
    const transcript = compactionTranscript([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Look at this' },
          { type: 'input_image', detail: 'auto', image_url: 'data:x' },
        ],
      },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Thinking about it.' }] },
      { type: 'function_call', call_id: 'c1', name: 'read_file', arguments: '{"path":"a.txt"}' },
      { type: 'function_call_output', call_id: 'c1', output: 'contents of a' },
      {
        type: 'shell_call',
        call_id: 'c2',
        action: { commands: ['ls', 'cat b.txt'] },
        status: 'completed',
      },
      {
        type: 'shell_call_output',
        call_id: 'c2',
        output: [
          { stdout: 'a.txt\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } },
          { stdout: '', stderr: 'no such file\n', outcome: { type: 'exit', exit_code: 1 } },
        ],
      },
    ]);
    expect(transcript).toBe(
      [
        '[user]\nLook at this\n[image]',
        '[assistant reasoning]\nThinking about it.',
        '[assistant called the function read_file]\n{"path":"a.txt"}',
        '[result of function call c1]\ncontents of a',
        '[assistant ran shell commands]\n$ ls\n$ cat b.txt',
        '[shell output]\n--- command 1 of 2 ---\na.txt\n--- command 2 of 2 ---\nno such file\n[exit code 1]',
      ].join('\n\n'),
    );
  });

  it('shows reasoning by its summary, or by its raw text when it has no summary', () => {
    const transcript = compactionTranscript([
      {
        type: 'reasoning',
        id: 'rs_1',
        summary: [{ type: 'summary_text', text: 'In short.' }],
        content: [{ type: 'reasoning_text', text: 'At length.' }],
      },
      {
        type: 'reasoning',
        id: 'rs_2',
        summary: [],
        content: [{ type: 'reasoning_text', text: 'Raw only.' }],
      },
      { type: 'reasoning', id: 'rs_3', summary: [] },
    ]);
    expect(transcript).toBe('[assistant reasoning]\nIn short.\n\n[assistant reasoning]\nRaw only.');
  });

  it('keeps the head and tail of a very long item and says how much it left out', () => {
    const output = `HEAD${'x'.repeat(20_000)}TAIL`;
    const transcript = compactionTranscript([{ type: 'function_call_output', call_id: 'c1', output }]);
    expect(transcript.length).toBeLessThan(6_200);
    expect(transcript).toContain('HEAD');
    expect(transcript).toContain('TAIL');
    expect(transcript).toMatch(/\[… 14008 characters left out …\]/);
  });
});
