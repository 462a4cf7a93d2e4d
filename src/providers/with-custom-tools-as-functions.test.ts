import { describe, expect, it } from 'vitest';
import type { CustomTool, FunctionTool } from 'openai/resources/responses/responses';
import { modelRequest } from '../../test/support/model-request-fixture.js';
import { ScriptedModelProvider } from '../../test/support/scripted-model-provider.js';
import type { ModelEvent } from './model-provider.js';
import { withCustomToolsAsFunctions } from './with-custom-tools-as-functions.js';

const calculator: CustomTool = { type: 'custom', name: 'calculator', description: 'Adds two numbers.' };
const lookup: FunctionTool = {
  type: 'function',
  name: 'lookup',
  description: null,
  parameters: { type: 'object', properties: {} },
  strict: null,
};
const request = modelRequest({
  model: 'm',
  tools: [lookup, calculator],
  toolChoice: { type: 'custom', name: 'calculator' },
  input: [
    { role: 'user', content: 'Add 1 and 2' },
    { type: 'custom_tool_call', call_id: 'call_0', name: 'calculator', input: 'add(0, 0)' },
    { type: 'custom_tool_call_output', call_id: 'call_0', output: '0' },
  ],
});
const finish: ModelEvent = {
  type: 'finish',
  reason: 'tool_calls',
  usage: { inputTokens: 1, outputTokens: 1 },
};

/** A call of `name` as a function-tools adapter reports it, its arguments in `pieces`. */
function functionCall(id: string, name: string, pieces: readonly string[]): ModelEvent[] {
  return [
    { type: 'tool-call-start', id, callId: `call_${id}`, name },
    ...pieces.map((delta): ModelEvent => ({ type: 'tool-call-delta', id, delta })),
    { type: 'tool-call-end', id, arguments: pieces.join('') },
  ];
}

async function streamed(provider: ScriptedModelProvider): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of withCustomToolsAsFunctions(provider).stream(
    request,
    new AbortController().signal,
  ))
    events.push(event);
  return events;
}

describe('withCustomToolsAsFunctions', () => {
  it('offers the adapter only functions: custom tools, the custom tool_choice and custom history', async () => {
    const inner = new ScriptedModelProvider();
    inner.script([finish]);
    await streamed(inner);
    const sent = inner.requests[0];
    expect(sent?.tools.map((tool) => [tool.type, tool.name])).toEqual([
      ['function', 'lookup'],
      ['function', 'calculator'],
    ]);
    expect(sent?.toolChoice).toEqual({ type: 'function', name: 'calculator' });
    expect(sent?.input.slice(1)).toEqual([
      { type: 'function_call', call_id: 'call_0', name: 'calculator', arguments: '{"input":"add(0, 0)"}' },
      { type: 'function_call_output', call_id: 'call_0', output: '0' },
    ]);
  });

  it('streams a call of a custom tool as a custom call, its input decoded as the arguments arrive', async () => {
    const inner = new ScriptedModelProvider();
    inner.script([
      ...functionCall('p1', 'calculator', ['{"input":"a', 'dd(1,\\n', ' 2)"}']),
      ...functionCall('p2', 'lookup', ['{"q": 1}']),
      finish,
    ]);
    expect(await streamed(inner)).toEqual([
      { type: 'custom-call-start', id: 'p1', callId: 'call_p1', name: 'calculator' },
      { type: 'custom-call-delta', id: 'p1', delta: 'a' },
      { type: 'custom-call-delta', id: 'p1', delta: 'dd(1,\n' },
      { type: 'custom-call-delta', id: 'p1', delta: ' 2)' },
      { type: 'custom-call-end', id: 'p1', input: 'add(1,\n 2)' },
      // A function that is not a custom tool's passes through as it was.
      ...functionCall('p2', 'lookup', ['{"q": 1}']),
      finish,
    ]);
  });

  it('keeps what the model wrote when the arguments are not the expected JSON', async () => {
    const inner = new ScriptedModelProvider();
    inner.script([
      ...functionCall('p1', 'calculator', ['add(3, ', '4)']),
      ...functionCall('p2', 'calculator', ['{}']),
      finish,
    ]);
    const events = await streamed(inner);
    expect(events.filter((event) => event.type === 'custom-call-end')).toEqual([
      { type: 'custom-call-end', id: 'p1', input: 'add(3, 4)' },
      // Not a string input: the raw JSON is the input, so nothing the model wrote is lost.
      { type: 'custom-call-end', id: 'p2', input: '{}' },
    ]);
  });

  it('translates a whole (non-streamed) reply the same way', async () => {
    const inner = new ScriptedModelProvider();
    inner.script([...functionCall('p1', 'calculator', ['{"input":"add(3, 4)"}']), finish]);
    const events = await withCustomToolsAsFunctions(inner).complete(request, new AbortController().signal);
    expect(events).toEqual([
      { type: 'custom-call-start', id: 'p1', callId: 'call_p1', name: 'calculator' },
      { type: 'custom-call-delta', id: 'p1', delta: 'add(3, 4)' },
      { type: 'custom-call-end', id: 'p1', input: 'add(3, 4)' },
      finish,
    ]);
  });

  it('counts tokens of the request as the adapter is sent it', async () => {
    const inner = new ScriptedModelProvider();
    await withCustomToolsAsFunctions(inner).countInputTokens(request, new AbortController().signal);
    expect(inner.countRequests[0]?.tools.map((tool) => tool.type)).toEqual(['function', 'function']);
  });
});
