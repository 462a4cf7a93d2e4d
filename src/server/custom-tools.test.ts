import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { testProviders } from '../../test/support/start-test-berth.js';
import { useTestBerth } from '../../test/support/use-test-berth.js';
import { collectStream } from '../../test/support/collect-stream.js';
import { createUnchecked } from '../../test/support/create-unchecked.js';
import { upstreamBody } from '../../test/support/upstream-bodies.js';

const server = useTestBerth();

type Json = Record<string, unknown>;
type ProviderKind = (typeof testProviders)[number]['kind'];

/** A grammar whose sentences need JSON escapes (quotes, newlines) when they travel as arguments. */
const grammar = ['start: line+', 'line: "say " ESCAPED_STRING "\\n"', '%import common.ESCAPED_STRING'].join(
  '\n',
);
const input = 'say "hi"\nsay "bye"\n';
const speak: OpenAI.Responses.CustomTool = {
  type: 'custom',
  name: 'speak',
  description: 'Says lines out loud.',
  format: { type: 'grammar', syntax: 'lark', definition: grammar },
};

/** The custom tool as each provider kind was offered it: natively, or as a function of one string. */
function expectOfferedTool(kind: ProviderKind, body: Json): void {
  const tools = body['tools'] as Json[];
  if (kind === 'openai') {
    expect(tools).toEqual([speak]);
    return;
  }
  const parameters = {
    type: 'object',
    properties: { input: { type: 'string', description: expect.any(String) as string } },
    required: ['input'],
    additionalProperties: false,
  };
  const offered = kind === 'openai-chat' ? (tools[0]?.['function'] as Json) : tools[0];
  expect(tools).toHaveLength(1);
  expect(offered).toMatchObject({ name: 'speak' });
  expect(kind === 'openai-chat' ? offered?.['parameters'] : offered?.['input_schema']).toEqual(parameters);
  const description = String(offered?.['description']);
  expect(description).toContain('Says lines out loud.');
  expect(description).toContain('Lark grammar');
  expect(description).toContain(grammar);
}

/** The forced choice of the custom tool, in each provider kind's words. */
function expectForcedChoice(kind: ProviderKind, body: Json): void {
  const expected = {
    openai: { type: 'custom', name: 'speak' },
    'openai-chat': { type: 'function', function: { name: 'speak' } },
    anthropic: { type: 'tool', name: 'speak' },
  }[kind];
  expect(body['tool_choice']).toEqual(expected);
}

/**
 * The call and its output as the upstream got them back on the next turn: native items, or the
 * function call (arguments `{"input": …}`) and its result in the provider's form.
 */
function expectSentBack(kind: ProviderKind, body: Json, callId: string, output: unknown): void {
  if (kind === 'openai') {
    expect(body['input']).toEqual(
      expect.arrayContaining([
        { type: 'custom_tool_call', call_id: callId, name: 'speak', input },
        { type: 'custom_tool_call_output', call_id: callId, output },
      ]),
    );
  } else if (kind === 'openai-chat') {
    expect(body['messages']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'assistant',
          tool_calls: [
            {
              id: callId,
              type: 'function',
              function: { name: 'speak', arguments: JSON.stringify({ input }) },
            },
          ],
        }),
        { role: 'tool', tool_call_id: callId, content: output },
      ]),
    );
  } else {
    expect(body['messages']).toEqual(
      expect.arrayContaining([
        { role: 'assistant', content: [{ type: 'tool_use', id: callId, name: 'speak', input: { input } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: callId, content: output }] },
      ]),
    );
  }
}

/** Event types in order, with a run of the same type (the deltas) counted once. */
function withoutRepeats(types: readonly string[]): string[] {
  return types.filter((type, index) => type !== types[index - 1]);
}

describe.each(testProviders)('custom tools through the $kind provider', ({ name, kind, model }) => {
  const upstream = () => server.berth.upstreams[name];

  it('round-trips a custom tool call without streaming, continued with previous_response_id', async () => {
    upstream().script({ customCalls: [{ name: 'speak', input }] }, { text: 'Said both lines.' });
    const before = upstream().requests.length;
    const first = await server.client.responses.create({
      model,
      input: 'Greet, then say goodbye.',
      tools: [speak],
      tool_choice: { type: 'custom', name: 'speak' },
    });
    expect(first.status).toBe('completed');
    expect(first.tools).toEqual([speak]);
    expect(first.tool_choice).toEqual({ type: 'custom', name: 'speak' });
    expect(first.output).toHaveLength(1);
    const call = first.output[0];
    expect(call).toEqual({
      id: expect.stringMatching(/^ctc_/) as string,
      type: 'custom_tool_call',
      status: 'completed',
      call_id: expect.any(String) as string,
      name: 'speak',
      input,
    });
    if (call?.type !== 'custom_tool_call') throw new Error('no custom tool call');
    const firstSent = upstreamBody(upstream(), before);
    expectOfferedTool(kind, firstSent);
    expectForcedChoice(kind, firstSent);

    const second = await server.client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'custom_tool_call_output', call_id: call.call_id, output: 'spoke 2 lines' }],
      tools: [speak],
    });
    expect(second.output_text).toBe('Said both lines.');
    expectSentBack(kind, upstreamBody(upstream(), before + 1), call.call_id, 'spoke 2 lines');
    const stored = await server.client.responses.retrieve(first.id);
    expect(stored.output).toEqual(first.output);
  });

  it('streams a custom tool call, continued statelessly with the whole history', async () => {
    upstream().script({ customCalls: [{ name: 'speak', input }] }, { text: 'Said both lines.' });
    const before = upstream().requests.length;
    const history: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'user', content: 'Greet, then say goodbye.' },
    ];
    const { events, final } = await collectStream(
      server.client.responses.stream({ model, input: history, tools: [speak], store: false }),
    );

    expect(withoutRepeats(events.map((event) => event.type))).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.flatMap((event) =>
      event.type === 'response.custom_tool_call_input.delta' ? [event.delta] : [],
    );
    // The input streams in pieces on every kind, also where it travels as a JSON string argument.
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(input);
    const call = final.output[0];
    expect(call).toMatchObject({ type: 'custom_tool_call', name: 'speak', input, status: 'completed' });
    if (call?.type !== 'custom_tool_call') throw new Error('no custom tool call');
    const callEvents = events.filter(
      (event) => 'item_id' in event && event.item_id === call.id,
    ) as OpenAI.Responses.ResponseCustomToolCallInputDoneEvent[];
    expect(callEvents.at(-1)).toMatchObject({ type: 'response.custom_tool_call_input.done', input });
    expectOfferedTool(kind, upstreamBody(upstream(), before));

    const output = [{ type: 'input_text' as const, text: 'spoke 2 lines' }];
    const next = server.client.responses.stream({
      model,
      store: false,
      tools: [speak],
      input: [...history, call, { type: 'custom_tool_call_output', call_id: call.call_id, output }],
    });
    const answer = await next.finalResponse();
    expect(answer.output_text).toBe('Said both lines.');
    // Parts are text where the provider's tool result is text, else passed as parts.
    const sentOutput =
      kind === 'openai-chat'
        ? 'spoke 2 lines'
        : kind === 'anthropic'
          ? [{ type: 'text', text: 'spoke 2 lines' }]
          : output;
    expectSentBack(kind, upstreamBody(upstream(), before + 1), call.call_id, sentOutput);
  });
});

describe('custom tool requests Berth refuses', () => {
  const refused = (body: Json) => createUnchecked(server.client, body);

  it('a grammar without a definition is a 400 naming it', async () => {
    const tools = [{ type: 'custom', name: 'speak', format: { type: 'grammar', syntax: 'lark' } }];
    await expect(refused({ tools })).rejects.toMatchObject({
      status: 400,
      param: 'tools[0].format.definition',
    });
  });

  it('an unknown format type is a 400 naming it', async () => {
    const tools = [{ type: 'custom', name: 'speak', format: { type: 'json' } }];
    await expect(refused({ tools })).rejects.toMatchObject({ status: 400, param: 'tools[0].format.type' });
  });

  it('an unknown grammar syntax is a 400 naming it', async () => {
    const tools = [
      { type: 'custom', name: 'speak', format: { type: 'grammar', syntax: 'ebnf', definition: 'a' } },
    ];
    await expect(refused({ tools })).rejects.toMatchObject({
      status: 400,
      param: 'tools[0].format.syntax',
    });
  });

  it('a custom tool named like a function tool is a 400 naming the later one', async () => {
    const tools = [
      { type: 'function', name: 'speak', parameters: { type: 'object' } },
      { type: 'custom', name: 'speak' },
    ];
    await expect(refused({ tools })).rejects.toMatchObject({ status: 400, param: 'tools[1].name' });
  });

  it('a custom tool_choice that names no custom tool is a 400', async () => {
    const tools = [{ type: 'function', name: 'speak', parameters: { type: 'object' } }];
    await expect(refused({ tools, tool_choice: { type: 'custom', name: 'speak' } })).rejects.toMatchObject({
      status: 400,
      param: 'tool_choice',
    });
  });

  it('a custom_tool_call_output that answers no call is a 400', async () => {
    const input = [{ type: 'custom_tool_call_output', call_id: 'call_missing', output: 'x' }];
    await expect(refused({ input })).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('a bad custom_tool_call input item is a 400 naming the field', async () => {
    const input = [{ type: 'custom_tool_call', call_id: 'call_1', name: 'speak', input: 42 }];
    await expect(refused({ input })).rejects.toMatchObject({ status: 400, param: 'input[0].input' });
  });
});
