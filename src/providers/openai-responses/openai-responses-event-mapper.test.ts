import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../errors/berth-error.js';
import type { ModelEvent } from '../model-provider.js';
import { OpenAIResponsesEventMapper } from './openai-responses-event-mapper.js';
import { streamEventSchema } from './openai-responses-wire-schemas.js';

function mapAll(events: readonly Record<string, unknown>[]): ModelEvent[] {
  const mapper = new OpenAIResponsesEventMapper('openai');
  return events.flatMap((event) => mapper.map(streamEventSchema.parse(event)));
}

const completed = {
  type: 'response.completed',
  response: { status: 'completed', usage: { input_tokens: 1, output_tokens: 2 } },
};

describe('OpenAIResponsesEventMapper', () => {
  it('maps a refusal', () => {
    const location = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item: { type: 'message', content: [] } },
      { type: 'response.content_part.added', ...location, part: { type: 'refusal', refusal: '' } },
      { type: 'response.refusal.delta', ...location, delta: "I can't " },
      { type: 'response.refusal.delta', ...location, delta: 'help with that.' },
      { type: 'response.refusal.done', ...location, refusal: "I can't help with that." },
      {
        type: 'response.content_part.done',
        ...location,
        part: { type: 'refusal', refusal: "I can't help." },
      },
      completed,
    ]);
    expect(events).toEqual([
      { type: 'refusal-start', id: 'part_0', message: { key: '0', phase: null } },
      { type: 'refusal-delta', id: 'part_0', delta: "I can't " },
      { type: 'refusal-delta', id: 'part_0', delta: 'help with that.' },
      { type: 'refusal-end', id: 'part_0' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  it('maps a streamed custom tool call, the done item deciding its input', () => {
    const item = { type: 'custom_tool_call', call_id: 'call_9', name: 'calculator', input: '' };
    const location = { item_id: 'ctc_1', output_index: 0 };
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item },
      { type: 'response.custom_tool_call_input.delta', ...location, delta: 'add(1, ' },
      { type: 'response.custom_tool_call_input.delta', ...location, delta: '2)' },
      { type: 'response.custom_tool_call_input.done', ...location, input: 'add(1, 2)' },
      { type: 'response.output_item.done', output_index: 0, item: { ...item, input: 'add(1, 2)' } },
      completed,
    ]);
    expect(events).toEqual([
      { type: 'custom-call-start', id: 'part_0', callId: 'call_9', name: 'calculator' },
      { type: 'custom-call-delta', id: 'part_0', delta: 'add(1, ' },
      { type: 'custom-call-delta', id: 'part_0', delta: '2)' },
      { type: 'custom-call-end', id: 'part_0', input: 'add(1, 2)' },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  it('maps a custom tool call that arrives whole, as in a non-streaming response', () => {
    const mapper = new OpenAIResponsesEventMapper('openai');
    const events = mapper.mapResponse({
      status: 'completed',
      output: [{ type: 'custom_tool_call', call_id: 'call_9', name: 'calculator', input: 'add(1, 2)' }],
    });
    expect(events.filter((event) => event.type !== 'finish')).toEqual([
      { type: 'custom-call-start', id: 'part_0', callId: 'call_9', name: 'calculator' },
      { type: 'custom-call-delta', id: 'part_0', delta: 'add(1, 2)' },
      { type: 'custom-call-end', id: 'part_0', input: 'add(1, 2)' },
    ]);
  });

  it('maps apply_patch and local_shell calls, which arrive whole', () => {
    const patch = {
      type: 'apply_patch_call',
      call_id: 'call_1',
      status: 'completed',
      operation: { type: 'update_file', path: 'a.py', diff: '@@\n-a\n+b\n' },
    };
    const shell = {
      type: 'local_shell_call',
      call_id: 'call_2',
      status: 'completed',
      action: { type: 'exec', command: ['ls'], env: { A: '1' }, timeout_ms: null, working_directory: '/r' },
    };
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item: { ...patch, status: 'in_progress' } },
      { type: 'response.output_item.done', output_index: 0, item: patch },
      { type: 'response.output_item.added', output_index: 1, item: { ...shell, status: 'in_progress' } },
      { type: 'response.output_item.done', output_index: 1, item: shell },
      completed,
    ]);
    expect(events).toEqual([
      { type: 'apply-patch-call', id: 'call_item_0', callId: 'call_1', operation: patch.operation },
      {
        type: 'local-shell-call',
        id: 'call_item_1',
        callId: 'call_2',
        action: { ...shell.action, user: null },
      },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  it('keeps two upstream messages apart with their phases', () => {
    const message = (phase: string, text: string) => ({
      type: 'message',
      phase,
      content: [{ type: 'output_text', text }],
    });
    const events = mapAll([
      { type: 'response.output_item.done', output_index: 0, item: message('commentary', 'Checking.') },
      { type: 'response.output_item.done', output_index: 1, item: message('final_answer', 'Done.') },
      completed,
    ]);
    const starts = events.filter((event) => event.type === 'text-start');
    expect(starts).toEqual([
      { type: 'text-start', id: 'part_0', message: { key: '0', phase: 'commentary' } },
      { type: 'text-start', id: 'part_1', message: { key: '1', phase: 'final_answer' } },
    ]);
  });

  it('joins reasoning summary parts as paragraphs', () => {
    const at = (summary_index: number) => ({ item_id: 'rs_1', output_index: 0, summary_index });
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', summary: [] } },
      { type: 'response.reasoning_summary_part.added', ...at(0), part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', ...at(0), delta: 'First.' },
      { type: 'response.reasoning_summary_part.added', ...at(1), part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', ...at(1), delta: 'Second.' },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: {
          type: 'reasoning',
          summary: [{ text: 'First.' }, { text: 'Second.' }],
          encrypted_content: 'enc',
        },
      },
      completed,
    ]);
    expect(events.slice(0, 5)).toEqual([
      { type: 'reasoning-start', id: 'part_0' },
      { type: 'reasoning-delta', id: 'part_0', delta: 'First.' },
      { type: 'reasoning-delta', id: 'part_0', delta: '\n\n' },
      { type: 'reasoning-delta', id: 'part_0', delta: 'Second.' },
      { type: 'reasoning-end', id: 'part_0', encryptedContent: 'enc' },
    ]);
  });

  it('starts parts a terse server never announced and fills text it never streamed', () => {
    const events = mapAll([
      { type: 'response.output_text.delta', output_index: 0, delta: 'Hi' },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: { type: 'function_call', call_id: 'call_9', name: 'lookup', arguments: '{}' },
      },
      { ...completed, response: { status: 'completed' } },
    ]);
    expect(events).toEqual([
      { type: 'text-start', id: 'part_0', message: { key: '0', phase: null } },
      { type: 'text-delta', id: 'part_0', delta: 'Hi' },
      { type: 'tool-call-start', id: 'part_1', callId: 'call_9', name: 'lookup' },
      { type: 'tool-call-delta', id: 'part_1', delta: '{}' },
      { type: 'tool-call-end', id: 'part_1', arguments: '{}' },
      { type: 'text-end', id: 'part_0' },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('maps a streamed shell call: start, command deltas, then the whole action', () => {
    const added = { type: 'shell_call', call_id: 'call_7', action: { commands: [] } };
    const at = (command_index: number) => ({ output_index: 0, command_index });
    const events = mapAll([
      { type: 'response.output_item.added', output_index: 0, item: added },
      { type: 'response.shell_call_command.added', ...at(0), command: '' },
      { type: 'response.shell_call_command.delta', ...at(0), delta: 'echo ' },
      { type: 'response.shell_call_command.delta', ...at(0), delta: 'hi' },
      { type: 'response.shell_call_command.done', ...at(0), command: 'echo hi' },
      // A server that sends a command whole, in its `done`, still has it streamed once.
      { type: 'response.shell_call_command.added', ...at(1), command: '' },
      { type: 'response.shell_call_command.done', ...at(1), command: 'ls' },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: {
          ...added,
          status: 'completed',
          action: { commands: ['echo hi', 'ls'], timeout_ms: 1000, max_output_length: 4096 },
        },
      },
      completed,
    ]);
    expect(events).toEqual([
      { type: 'shell-call-start', id: 'part_0', callId: 'call_7' },
      { type: 'shell-call-command-delta', id: 'part_0', commandIndex: 0, delta: 'echo ' },
      { type: 'shell-call-command-delta', id: 'part_0', commandIndex: 0, delta: 'hi' },
      { type: 'shell-call-command-delta', id: 'part_0', commandIndex: 1, delta: 'ls' },
      {
        type: 'shell-call-end',
        id: 'part_0',
        action: { commands: ['echo hi', 'ls'], timeoutMs: 1000, maxOutputLength: 4096 },
      },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  it('ends a shell call whose done item never came with the commands streamed so far', () => {
    const events = mapAll([
      { type: 'response.shell_call_command.delta', output_index: 0, command_index: 0, delta: 'pwd' },
      // Commands only append: an index past the next one is ignored rather than allocated.
      { type: 'response.shell_call_command.delta', output_index: 0, command_index: 1e9, delta: 'x' },
      completed,
    ]);
    expect(events).toEqual([
      { type: 'shell-call-start', id: 'part_0', callId: 'call_part_0' },
      { type: 'shell-call-command-delta', id: 'part_0', commandIndex: 0, delta: 'pwd' },
      {
        type: 'shell-call-end',
        id: 'part_0',
        action: { commands: ['pwd'], timeoutMs: null, maxOutputLength: null },
      },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  it('maps a shell call of a non-streaming response to start and end', () => {
    const mapper = new OpenAIResponsesEventMapper('openai');
    const events = mapper.mapResponse({
      status: 'completed',
      output: [
        { type: 'message', content: [{ type: 'output_text', text: 'Looking.' }] },
        { type: 'shell_call', call_id: 'call_3', action: { commands: ['ls -la'], timeout_ms: null } },
      ],
    });
    expect(events.slice(3)).toEqual([
      { type: 'shell-call-start', id: 'part_1', callId: 'call_3' },
      {
        type: 'shell-call-end',
        id: 'part_1',
        action: { commands: ['ls -la'], timeoutMs: null, maxOutputLength: null },
      },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('reads an incomplete response of an unknown reason as length', () => {
    const events = mapAll([
      {
        type: 'response.incomplete',
        response: { status: 'incomplete', incomplete_details: { reason: 'steered' } },
      },
    ]);
    expect(events).toEqual([
      { type: 'finish', reason: 'length', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('throws the upstream message for response.failed and error events', () => {
    const failed = {
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'server_error', message: 'The model crashed.' } },
    };
    expect(() => mapAll([failed])).toThrow(UpstreamError);
    expect(() => mapAll([failed])).toThrow('The model crashed.');
    const error = { type: 'error', code: 'rate_limit_exceeded', message: 'Slow down.', param: null };
    expect(() => mapAll([error])).toThrow(
      expect.objectContaining({ wireCode: 'rate_limit_exceeded' }) as Error,
    );
  });

  it("passes a hosted tool's item and its events on, and skips item events about other items", () => {
    const mapper = new OpenAIResponsesEventMapper('openai');
    const item = { id: 'ws_1', type: 'web_search_call', status: 'in_progress' };
    const done = { ...item, status: 'completed', action: { type: 'search', query: 'q' } };
    const events = [
      ...mapper.map(streamEventSchema.parse({ type: 'response.output_item.added', output_index: 0, item })),
      ...mapper.mapItemEvent({
        type: 'response.web_search_call.searching',
        item_id: 'ws_1',
        output_index: 0,
        sequence_number: 3,
      }),
      ...mapper.mapItemEvent({ type: 'response.something.else', output_index: 5 }),
      ...mapper.map(
        streamEventSchema.parse({ type: 'response.output_item.done', output_index: 0, item: done }),
      ),
      // After its done item, nothing more is said about it.
      ...mapper.mapItemEvent({ type: 'response.web_search_call.completed', output_index: 0 }),
    ];
    expect(events).toEqual([
      { type: 'hosted-item-start', id: 'hosted_0', item },
      {
        type: 'hosted-item-event',
        id: 'hosted_0',
        event: {
          type: 'response.web_search_call.searching',
          item_id: 'ws_1',
          output_index: 0,
          sequence_number: 3,
        },
      },
      { type: 'hosted-item-done', id: 'hosted_0', item: done },
    ]);
  });

  it("keeps a non-streaming message's annotations on its text", () => {
    const annotation = {
      type: 'url_citation',
      url: 'https://a.example',
      title: 'A',
      start_index: 0,
      end_index: 2,
    };
    const events = new OpenAIResponsesEventMapper('openai').mapResponse({
      status: 'completed',
      output: [
        {
          type: 'message',
          content: [{ type: 'output_text', text: 'Hi', annotations: [annotation] }],
        },
      ],
    });
    expect(events).toContainEqual({ type: 'text-end', id: 'part_0', annotations: [annotation] });
  });
});
