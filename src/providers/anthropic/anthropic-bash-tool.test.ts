import type { ResponseFunctionShellCallOutputContent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import {
  bashInputToShellAction,
  shellCallOutputToToolResult,
  shellCallToBashToolUse,
} from './anthropic-bash-tool.js';

const noLimits = { timeoutMs: null, maxOutputLength: null };

describe('bashInputToShellAction', () => {
  it('makes a command one call of one command, and a restart a call of none', () => {
    expect(bashInputToShellAction({ command: 'ls -la' })).toEqual({ commands: ['ls -la'], ...noLimits });
    expect(bashInputToShellAction({ restart: true })).toEqual({ commands: [], ...noLimits });
    expect(bashInputToShellAction({ command: 'ls', restart: true })).toEqual({ commands: [], ...noLimits });
  });

  it.each([
    ['an empty input', {}, '{}'],
    ['a command that is not text', { command: ['ls'] }, '{"command":["ls"]}'],
    ['text that was not JSON', '{"command": "ls', '{"command": "ls'],
  ])('marks %s invalid and keeps what the model sent', (_name, input, raw) => {
    expect(bashInputToShellAction(input)).toEqual({
      commands: [raw],
      ...noLimits,
      invalid: expect.stringContaining('bash tool takes') as string,
    });
  });
});

describe('shellCallToBashToolUse', () => {
  const call = (commands: string[]) => ({
    type: 'shell_call' as const,
    call_id: 'call_1',
    action: { commands, timeout_ms: 5000, max_output_length: null },
  });

  it('joins several commands into one, in order, and turns no commands into a restart', () => {
    expect(shellCallToBashToolUse(call(['cd /tmp', 'ls']))).toEqual({
      type: 'tool_use',
      id: 'call_1',
      name: 'bash',
      input: { command: 'cd /tmp\nls' },
    });
    expect(shellCallToBashToolUse(call([])).input).toEqual({ restart: true });
  });
});

describe('shellCallOutputToToolResult', () => {
  const exit = (exit_code: number) => ({ type: 'exit' as const, exit_code });
  const result = (output: ResponseFunctionShellCallOutputContent[]) =>
    shellCallOutputToToolResult({ type: 'shell_call_output', call_id: 'call_1', output });

  it('answers with the output as text, not an error when every command exited 0', () => {
    expect(result([{ stdout: 'hi\n', stderr: 'warning: old\n', outcome: exit(0) }])).toEqual({
      type: 'tool_result',
      tool_use_id: 'call_1',
      content: 'hi\nstderr:\nwarning: old',
    });
  });

  it.each([
    ['a non-zero exit', { stdout: '', stderr: 'nope\n', outcome: exit(1) }],
    ['a timeout', { stdout: 'partial', stderr: '', outcome: { type: 'timeout' as const } }],
  ])('is an error when a command failed: %s', (_name, failed) => {
    const block = result([{ stdout: 'ok', stderr: '', outcome: exit(0) }, failed]);
    expect(block.is_error).toBe(true);
    expect(block.content).toContain('--- command 2 of 2 ---');
  });

  it('says so when a call (a restart) has no output at all', () => {
    expect(result([]).content).toBe('(no output)');
  });
});
