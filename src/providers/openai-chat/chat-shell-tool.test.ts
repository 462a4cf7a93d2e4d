import { describe, expect, it } from 'vitest';
import {
  chatShellTool,
  shellArgumentsToShellAction,
  shellCallOutputToChatToolMessage,
  shellCallToChatToolCall,
} from './chat-shell-tool.js';

describe('shellArgumentsToShellAction', () => {
  it('reads commands and the optional limits', () => {
    expect(shellArgumentsToShellAction('{"commands":["ls","pwd"],"timeout_ms":500}')).toEqual({
      commands: ['ls', 'pwd'],
      timeoutMs: 500,
      maxOutputLength: null,
    });
    // Models often send null for what they leave out, and sometimes keys of their own.
    expect(
      shellArgumentsToShellAction(
        '{"commands":["ls"],"timeout_ms":null,"max_output_length":200,"why":"look"}',
      ),
    ).toEqual({ commands: ['ls'], timeoutMs: null, maxOutputLength: 200 });
  });

  it.each([
    ['not JSON', '{"commands": ["ls"'],
    ['empty', ''],
    ['no commands', '{"commands":[]}'],
    ['one command as a string', '{"commands":"ls"}'],
    ['a fractional timeout', '{"commands":["ls"],"timeout_ms":1.5}'],
    ['not an object', '["ls"]'],
  ])('marks arguments that are %s invalid and keeps them as the command', (_name, raw) => {
    const action = shellArgumentsToShellAction(raw);
    expect(action).toMatchObject({ commands: [raw], timeoutMs: null, maxOutputLength: null });
    expect(action.invalid).toMatch(/^The shell arguments/);
  });
});

describe('the shell function', () => {
  it('asks for at least one command and describes the sandbox', () => {
    expect(chatShellTool.function.name).toBe('shell');
    expect(chatShellTool.function.parameters).toMatchObject({
      required: ['commands'],
      properties: { commands: { type: 'array', minItems: 1 } },
    });
    expect(chatShellTool.function.description).toMatch(/persistent bash session/);
    expect(chatShellTool.function.description).toMatch(/\/mnt\/data/);
  });

  it('writes history back as the call the model would have made and its output as text', () => {
    const call = shellCallToChatToolCall({
      type: 'shell_call',
      call_id: 'call_1',
      action: { commands: ['ls'], timeout_ms: null, max_output_length: 100 },
    });
    expect(call).toEqual({
      id: 'call_1',
      type: 'function',
      function: { name: 'shell', arguments: '{"commands":["ls"],"max_output_length":100}' },
    });
    expect(shellArgumentsToShellAction(call.function.arguments)).toEqual({
      commands: ['ls'],
      timeoutMs: null,
      maxOutputLength: 100,
    });

    const timedOut = { stdout: 'partial\n', stderr: '', outcome: { type: 'timeout' as const } };
    expect(
      shellCallOutputToChatToolMessage({ type: 'shell_call_output', call_id: 'call_1', output: [timedOut] }),
    ).toEqual({ role: 'tool', tool_call_id: 'call_1', content: 'partial\n[timed out]' });
    expect(
      shellCallOutputToChatToolMessage({ type: 'shell_call_output', call_id: 'call_2', output: [] }).content,
    ).toBe('(no output)');
  });
});
