import { describe, expect, it } from 'vitest';
import { createRandomIdGenerator } from '../ids.js';
import type { ModelEvent } from '../providers/model-provider.js';
import { OutputAssembler } from './output-assembler.js';
import type { UnsequencedEvent } from './stream-event.js';

function assemble(events: ModelEvent[], status: 'completed' | 'incomplete' = 'completed') {
  const emitted: UnsequencedEvent[] = [];
  const assembler = new OutputAssembler(createRandomIdGenerator(), (event) => emitted.push(event));
  for (const event of events) assembler.apply(event);
  assembler.finish(status);
  return { output: assembler.output, emitted };
}

/** Every event after an item's `output_item.done` that still names that item is a protocol error. */
function eventsAfterDone(emitted: UnsequencedEvent[]): UnsequencedEvent[] {
  const done = new Set<unknown>();
  const late: UnsequencedEvent[] = [];
  for (const event of emitted) {
    if (event.type === 'response.output_item.done') done.add(event.output_index);
    else if (done.has(event.output_index)) late.push(event);
  }
  return late;
}

describe('OutputAssembler', () => {
  it('closes a streaming refusal before its message when a tool call starts', () => {
    const { output, emitted } = assemble([
      { type: 'refusal-start', id: 'r' },
      { type: 'refusal-delta', id: 'r', delta: 'I cannot' },
      { type: 'tool-call-start', id: 't', callId: 'call_1', name: 'lookup' },
      { type: 'tool-call-end', id: 't', arguments: '{}' },
      { type: 'refusal-end', id: 'r' },
    ]);
    expect(eventsAfterDone(emitted)).toEqual([]);
    expect(output[0]).toMatchObject({ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot' }] });
    expect(output[1]).toMatchObject({ type: 'function_call', status: 'completed' });
  });

  it('puts text after a tool call in a new message', () => {
    const { output } = assemble([
      { type: 'text-start', id: 'a' },
      { type: 'text-delta', id: 'a', delta: 'Checking.' },
      { type: 'text-end', id: 'a' },
      { type: 'tool-call-start', id: 't', callId: 'call_1', name: 'lookup' },
      { type: 'tool-call-end', id: 't', arguments: '{"q":1}' },
      { type: 'text-start', id: 'b' },
      { type: 'text-delta', id: 'b', delta: 'Done.' },
      { type: 'text-end', id: 'b' },
    ]);
    expect(output.map((item) => item.type)).toEqual(['message', 'function_call', 'message']);
    expect(output[0]?.id).not.toBe(output[2]?.id);
  });

  it('reports the last tool call incomplete when the model was cut off after it', () => {
    const { output, emitted } = assemble(
      [
        { type: 'tool-call-start', id: 'a', callId: 'call_a', name: 'f' },
        { type: 'tool-call-end', id: 'a', arguments: '{"x":1}' },
        { type: 'tool-call-start', id: 'b', callId: 'call_b', name: 'f' },
        { type: 'tool-call-delta', id: 'b', delta: '{"x":' },
        { type: 'tool-call-end', id: 'b', arguments: '{"x":' },
      ],
      'incomplete',
    );
    expect(output.map((item) => item.status)).toEqual(['completed', 'incomplete']);
    const done = emitted.filter((event) => event.type === 'response.output_item.done');
    expect(done.map((event) => (event.item as { status: string }).status)).toEqual([
      'completed',
      'incomplete',
    ]);
  });

  it('marks reasoning cut off mid-way incomplete', () => {
    const { output } = assemble(
      [
        { type: 'reasoning-start', id: 'r' },
        { type: 'reasoning-delta', id: 'r', delta: 'Thinking' },
      ],
      'incomplete',
    );
    expect(output[0]).toMatchObject({
      type: 'reasoning',
      status: 'incomplete',
      summary: [{ text: 'Thinking' }],
    });
  });

  it('streams raw reasoning text as a reasoning_text content part, then the answer', () => {
    const { output, emitted } = assemble([
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-text-delta', id: 'r', delta: 'Six sevens' },
      { type: 'reasoning-text-delta', id: 'r', delta: ' are 42.' },
      { type: 'reasoning-end', id: 'r', encryptedContent: null },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: '42' },
      { type: 'text-end', id: 't' },
    ]);
    const reasoningId = output[0]?.id;
    expect(output[0]).toEqual({
      id: reasoningId,
      type: 'reasoning',
      summary: [],
      content: [{ type: 'reasoning_text', text: 'Six sevens are 42.' }],
    });
    const at = { item_id: reasoningId, output_index: 0, content_index: 0 };
    expect(emitted.slice(0, 7)).toEqual([
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { id: reasoningId, type: 'reasoning', summary: [] },
      },
      { type: 'response.content_part.added', ...at, part: { type: 'reasoning_text', text: '' } },
      { type: 'response.reasoning_text.delta', ...at, delta: 'Six sevens' },
      { type: 'response.reasoning_text.delta', ...at, delta: ' are 42.' },
      { type: 'response.reasoning_text.done', ...at, text: 'Six sevens are 42.' },
      {
        type: 'response.content_part.done',
        ...at,
        part: { type: 'reasoning_text', text: 'Six sevens are 42.' },
      },
      { type: 'response.output_item.done', output_index: 0, item: output[0] },
    ]);
    expect(emitted[7]).toMatchObject({ type: 'response.output_item.added', output_index: 1 });
  });

  it('keeps a summary and raw text of one reasoning part apart, each with its own events', () => {
    const { output, emitted } = assemble([
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'Brief.' },
      { type: 'reasoning-text-delta', id: 'r', delta: 'At length.' },
      { type: 'reasoning-end', id: 'r', encryptedContent: 'sealed' },
    ]);
    expect(output[0]).toMatchObject({
      summary: [{ type: 'summary_text', text: 'Brief.' }],
      content: [{ type: 'reasoning_text', text: 'At length.' }],
      encrypted_content: 'sealed',
    });
    expect(emitted.map((event) => event.type)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]);
  });

  it('closes raw reasoning text cut off mid-way, incomplete', () => {
    const { output, emitted } = assemble(
      [
        { type: 'reasoning-start', id: 'r' },
        { type: 'reasoning-text-delta', id: 'r', delta: 'Hmm' },
      ],
      'incomplete',
    );
    expect(output[0]).toMatchObject({ status: 'incomplete', content: [{ text: 'Hmm' }] });
    expect(emitted.map((event) => event.type).slice(-3)).toEqual([
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]);
  });

  it('keeps each upstream message apart, with its phase', () => {
    const { output } = assemble([
      { type: 'text-start', id: 'a', message: { key: '0', phase: 'commentary' } },
      { type: 'text-delta', id: 'a', delta: 'Looking into it.' },
      { type: 'text-end', id: 'a' },
      { type: 'text-start', id: 'b', message: { key: '1', phase: 'final_answer' } },
      { type: 'text-delta', id: 'b', delta: 'Here it is.' },
      { type: 'text-end', id: 'b' },
    ]);
    expect(output).toMatchObject([
      { type: 'message', phase: 'commentary', content: [{ text: 'Looking into it.' }] },
      { type: 'message', phase: 'final_answer', content: [{ text: 'Here it is.' }] },
    ]);
  });

  it('builds the output without events when nobody streams', () => {
    const assembler = new OutputAssembler(createRandomIdGenerator(), null);
    assembler.apply({ type: 'text-start', id: 'a' });
    assembler.apply({ type: 'text-delta', id: 'a', delta: 'quiet' });
    assembler.apply({ type: 'text-end', id: 'a' });
    assembler.finish('completed');
    expect(assembler.output[0]).toMatchObject({ content: [{ type: 'output_text', text: 'quiet' }] });
  });

  it("announces a shell call's unstreamed commands whole, and hands the call over once done", () => {
    const emitted: UnsequencedEvent[] = [];
    const assembler = new OutputAssembler(createRandomIdGenerator(), (event) => emitted.push(event), {
      shellEnvironment: { type: 'local' },
    });
    assembler.apply({ type: 'shell-call-start', id: 's', callId: 'call_1' });
    assembler.apply({
      type: 'shell-call-end',
      id: 's',
      action: { commands: ['ls', 'pwd'], timeoutMs: 5, maxOutputLength: null },
    });
    const calls = assembler.takeShellCalls();
    expect(calls.map((call) => call.action.commands)).toEqual([['ls', 'pwd']]);
    expect(assembler.output[0]).toMatchObject({
      type: 'shell_call',
      status: 'completed',
      environment: { type: 'local' },
      action: { commands: ['ls', 'pwd'], timeout_ms: 5, max_output_length: null },
    });
    expect(emitted.map((event) => [event.type, event.command_index ?? null])).toEqual([
      ['response.output_item.added', null],
      ['response.shell_call_command.added', 0],
      ['response.shell_call_command.delta', 0],
      ['response.shell_call_command.done', 0],
      ['response.shell_call_command.added', 1],
      ['response.shell_call_command.delta', 1],
      ['response.shell_call_command.done', 1],
      ['response.output_item.done', null],
    ]);
  });

  it('never hands over a shell call cut off by max_output_tokens', () => {
    const emitted: UnsequencedEvent[] = [];
    const assembler = new OutputAssembler(createRandomIdGenerator(), (event) => emitted.push(event));
    assembler.apply({ type: 'shell-call-start', id: 's', callId: 'call_1' });
    assembler.apply({ type: 'shell-call-command-delta', id: 's', commandIndex: 0, delta: 'rm -rf /tm' });
    assembler.finish('incomplete');
    expect(assembler.takeShellCalls()).toEqual([]);
    expect(assembler.output[0]).toMatchObject({ status: 'incomplete', action: { commands: ['rm -rf /tm'] } });
    expect(eventsAfterDone(emitted)).toEqual([]);
  });

  it('builds a custom_tool_call whose input streams, with the ids of the final output', () => {
    const { output, emitted } = assemble([
      { type: 'text-start', id: 'a' },
      { type: 'text-delta', id: 'a', delta: 'Calculating.' },
      { type: 'custom-call-start', id: 'c', callId: 'call_1', name: 'calculator' },
      { type: 'custom-call-delta', id: 'c', delta: 'add(1, ' },
      { type: 'custom-call-delta', id: 'c', delta: '2)' },
      { type: 'custom-call-end', id: 'c', input: 'add(1, 2)' },
      { type: 'text-end', id: 'a' },
    ]);
    expect(eventsAfterDone(emitted)).toEqual([]);
    const call = output[1];
    expect(call).toEqual({
      id: expect.stringMatching(/^ctc_/) as string,
      type: 'custom_tool_call',
      status: 'completed',
      call_id: 'call_1',
      name: 'calculator',
      input: 'add(1, 2)',
    });
    const callEvents = emitted.filter((event) => event.output_index === 1);
    expect(callEvents.map((event) => event.type)).toEqual([
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
    ]);
    expect(callEvents.map((event) => event.item_id ?? (event.item as { id: string }).id)).toEqual(
      callEvents.map(() => call?.id),
    );
    expect(callEvents[0]?.item).toMatchObject({ status: 'in_progress', input: '' });
    expect(callEvents[3]).toMatchObject({ input: 'add(1, 2)' });
  });

  it('reports a custom tool call cut off mid-input incomplete, with the input so far', () => {
    const { output } = assemble(
      [
        { type: 'custom-call-start', id: 'c', callId: 'call_1', name: 'calculator' },
        { type: 'custom-call-delta', id: 'c', delta: 'add(1' },
      ],
      'incomplete',
    );
    expect(output[0]).toMatchObject({ type: 'custom_tool_call', status: 'incomplete', input: 'add(1' });
  });

  it('counts custom tool calls as calls the client must run', () => {
    const assembler = new OutputAssembler(createRandomIdGenerator(), null);
    assembler.apply({ type: 'custom-call-start', id: 'c', callId: 'call_1', name: 'calculator' });
    assembler.apply({ type: 'custom-call-end', id: 'c', input: 'add(1, 2)' });
    expect(assembler.hasClientCalls()).toBe(true);
    expect(assembler.hasClientCalls(1)).toBe(false);
  });
});
