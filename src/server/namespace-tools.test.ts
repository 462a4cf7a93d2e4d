import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { testProviders } from '../../test/support/start-test-berth.js';
import { useTestBerth } from '../../test/support/use-test-berth.js';
import { collectStream } from '../../test/support/collect-stream.js';
import { upstreamBody } from '../../test/support/upstream-bodies.js';

const server = useTestBerth();

type Json = Record<string, unknown>;
type ProviderKind = (typeof testProviders)[number]['kind'];

const lookupParameters = {
  type: 'object',
  properties: { email: { type: 'string' } },
  required: ['email'],
  additionalProperties: false,
};
const crm: OpenAI.Responses.NamespaceTool = {
  type: 'namespace',
  name: 'crm',
  description: 'Customer records.',
  tools: [
    {
      type: 'function',
      name: 'lookup',
      description: 'Finds a customer by email.',
      parameters: lookupParameters,
    },
  ],
};
// A plain function of the same name: the flat names must still tell the two apart.
const lookup: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'lookup',
  description: 'Looks up a word.',
  parameters: { type: 'object', properties: { word: { type: 'string' } } },
  strict: false,
};
const tools: OpenAI.Responses.Tool[] = [crm, lookup];
const callArguments = '{"email":"ada@example.com"}';

/** The tools each kind was offered: the namespace as it is, or flat functions. */
function expectOfferedTools(kind: ProviderKind, body: Json): void {
  const sent = body['tools'] as Json[];
  if (kind === 'openai') {
    expect(sent).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'namespace', name: 'crm' })]),
    );
    return;
  }
  const offered = sent.map((tool) => (kind === 'openai-chat' ? (tool['function'] as Json) : tool));
  expect(offered.map((tool) => tool['name'])).toEqual(['lookup', 'crm__lookup']);
  const flat = offered[1] ?? {};
  expect(flat['description']).toBe('crm: Customer records.\n\nFinds a customer by email.');
  expect(kind === 'openai-chat' ? flat['parameters'] : flat['input_schema']).toEqual(lookupParameters);
}

/** The call and its output as the upstream got them back: native, or under the flat name. */
function expectSentBack(kind: ProviderKind, body: Json, callId: string): void {
  if (kind === 'openai') {
    expect(body['input']).toEqual(
      expect.arrayContaining([
        {
          type: 'function_call',
          call_id: callId,
          name: 'lookup',
          namespace: 'crm',
          arguments: callArguments,
        },
        { type: 'function_call_output', call_id: callId, output: 'Ada Lovelace' },
      ]),
    );
  } else if (kind === 'openai-chat') {
    expect(body['messages']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'assistant',
          tool_calls: [
            { id: callId, type: 'function', function: { name: 'crm__lookup', arguments: callArguments } },
          ],
        }),
        { role: 'tool', tool_call_id: callId, content: 'Ada Lovelace' },
      ]),
    );
  } else {
    expect(body['messages']).toEqual(
      expect.arrayContaining([
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: callId, name: 'crm__lookup', input: { email: 'ada@example.com' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: callId, content: 'Ada Lovelace' }] },
      ]),
    );
  }
}

describe.each(testProviders)('namespace tools through the $kind provider', ({ name, kind, model }) => {
  const upstream = () => server.berth.upstreams[name];

  it('round-trips a namespaced call without streaming, continued with previous_response_id', async () => {
    upstream().script(
      { toolCalls: [{ namespace: 'crm', name: 'lookup', arguments: callArguments }] },
      { text: 'Ada it is.' },
    );
    const before = upstream().requests.length;
    const first = await server.client.responses.create({ model, input: 'Who is ada@example.com?', tools });
    // Echoed in full form, as function tools are.
    expect(first.tools).toEqual([{ ...crm, tools: [{ ...crm.tools[0], strict: null }] }, lookup]);
    expect(first.output).toEqual([
      {
        id: expect.stringMatching(/^fc_/) as string,
        type: 'function_call',
        status: 'completed',
        call_id: expect.any(String) as string,
        name: 'lookup',
        namespace: 'crm',
        arguments: callArguments,
      },
    ]);
    expectOfferedTools(kind, upstreamBody(upstream(), before));
    const call = first.output[0];
    if (call?.type !== 'function_call') throw new Error('no function call');
    const second = await server.client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Ada Lovelace' }],
      tools,
    });
    expect(second.output_text).toBe('Ada it is.');
    expectSentBack(kind, upstreamBody(upstream(), before + 1), call.call_id);
  });

  it('streams a namespaced call, continued statelessly with the whole history', async () => {
    upstream().script(
      { toolCalls: [{ namespace: 'crm', name: 'lookup', arguments: callArguments }] },
      { text: 'Ada it is.' },
    );
    const before = upstream().requests.length;
    const history: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Who is ada@example.com?' }];
    const { events, final } = await collectStream(
      server.client.responses.stream({ model, input: history, tools, store: false }),
    );
    const added = events.flatMap((event) =>
      event.type === 'response.output_item.added' ? [event.item] : [],
    );
    const call = final.output[0];
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call).toMatchObject({ name: 'lookup', namespace: 'crm', arguments: callArguments });
    expect(added).toEqual([
      expect.objectContaining({ type: 'function_call', name: 'lookup', namespace: 'crm' }),
    ]);
    expectOfferedTools(kind, upstreamBody(upstream(), before));
    const next = await server.client.responses.create({
      model,
      input: [
        ...history,
        // Sent back as a client keeps it (the SDK's own `parsed_arguments` is not a wire field).
        {
          type: 'function_call',
          call_id: call.call_id,
          name: 'lookup',
          namespace: 'crm',
          arguments: call.arguments,
        },
        { type: 'function_call_output', call_id: call.call_id, output: 'Ada Lovelace' },
      ],
      tools,
      store: false,
    });
    expect(next.output_text).toBe('Ada it is.');
    expectSentBack(kind, upstreamBody(upstream(), before + 1), call.call_id);
  });
});

describe('namespace tool validation', () => {
  const model = 'oai/gpt-5';
  const refused = async (tool: Json, param: string): Promise<void> => {
    const error = await server.client.responses
      .create({ model, input: 'hi', tools: [tool as unknown as OpenAI.Responses.Tool] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
  };

  it('refuses a namespace without tools', async () => {
    await refused({ type: 'namespace', name: 'crm', description: '', tools: [] }, 'tools[0].tools');
  });

  it('refuses two tools of one name in a namespace', async () => {
    const fn = { type: 'function', name: 'lookup' };
    await refused(
      { type: 'namespace', name: 'crm', description: '', tools: [fn, fn] },
      'tools[0].tools[1].name',
    );
  });

  it('refuses a namespace inside a namespace', async () => {
    const inner = {
      type: 'namespace',
      name: 'inner',
      description: '',
      tools: [{ type: 'function', name: 'a' }],
    };
    await refused(
      { type: 'namespace', name: 'crm', description: '', tools: [inner] },
      'tools[0].tools[0].type',
    );
  });
});
