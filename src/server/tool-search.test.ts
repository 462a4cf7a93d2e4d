import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { testProviders } from '../../test/support/start-test-berth.js';
import { useTestBerth } from '../../test/support/use-test-berth.js';
import { upstreamBody } from '../../test/support/upstream-bodies.js';

const server = useTestBerth();

type Json = Record<string, unknown>;

const verbs = ['create', 'delete', 'list', 'archive', 'export', 'rename'];
const nouns = ['invoice', 'customer', 'ticket', 'report', 'calendar_event'];
/** 29 tools that have nothing to do with the weather, and the one that does. */
const unrelated: OpenAI.Responses.FunctionTool[] = verbs
  .flatMap((verb) => nouns.map((noun) => `${verb}_${noun}`))
  .slice(0, 29)
  .map((name) => ({
    type: 'function',
    name,
    description: `Does ${name.replaceAll('_', ' ')}.`,
    parameters: { type: 'object', properties: { id: { type: 'string' } } },
    strict: null,
    defer_loading: true,
  }));
const getWeather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: null,
  defer_loading: true,
};
const getTime: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_time',
  description: 'The time now.',
  parameters: { type: 'object', properties: {} },
  strict: null,
};
const deferred = [...unrelated.slice(0, 15), getWeather, ...unrelated.slice(15)];
const tools: OpenAI.Responses.Tool[] = [getTime, ...deferred, { type: 'tool_search' }];
const weatherArguments = '{"city":"Oslo"}';

/** The names of the tools a Chat Completions or Anthropic request offered. */
function offeredNames(body: Json): unknown[] {
  return (body['tools'] as Json[]).map(
    (tool) => (tool['function'] as Json | undefined)?.['name'] ?? tool['name'],
  );
}

describe.each(testProviders)('tool_search through the $kind provider', ({ name, kind, model }) => {
  const upstream = () => server.berth.upstreams[name];

  it.each([false, true])(
    'finds a deferred tool by searching, then the model calls it (stream: %s)',
    async (streaming) => {
      const before = upstream().requests.length;
      if (kind === 'openai') {
        // OpenAI runs the search inside its own response and goes on to the call.
        upstream().script(
          {
            toolSearches: [{ query: 'weather', found: [getWeather as unknown as Json] }],
            toolCalls: [{ name: 'get_weather', arguments: weatherArguments }],
          },
          { text: 'Sunny in Oslo.' },
        );
      } else {
        upstream().script(
          { toolSearches: [{ query: 'weather' }] },
          { toolCalls: [{ name: 'get_weather', arguments: weatherArguments }] },
          { text: 'Sunny in Oslo.' },
        );
      }
      const request = { model, input: 'Weather in Oslo?', tools };
      const streamedTypes: string[] = [];
      let first: OpenAI.Responses.Response;
      if (streaming) {
        const stream = server.client.responses.stream(request);
        for await (const event of stream) {
          if (event.type === 'response.output_item.added') streamedTypes.push(event.item.type);
          // The search's arguments never stream as a function call's would.
          if (event.type === 'response.function_call_arguments.delta')
            expect(event.delta).not.toContain('weather');
        }
        first = await stream.finalResponse();
        expect(streamedTypes).toEqual(['tool_search_call', 'tool_search_output', 'function_call']);
      } else {
        first = await server.client.responses.create(request);
      }
      expect(first.status).toBe('completed');
      expect(first.output.map((item) => item.type)).toEqual([
        'tool_search_call',
        'tool_search_output',
        'function_call',
      ]);
      const [searchCall, searchOutput, call] = first.output;
      expect(searchCall).toMatchObject({
        type: 'tool_search_call',
        execution: 'server',
        status: 'completed',
        arguments: { query: 'weather' },
      });
      expect(searchOutput).toMatchObject({
        type: 'tool_search_output',
        execution: 'server',
        status: 'completed',
        call_id: (searchCall as { call_id: string }).call_id,
      });
      const found = (searchOutput as unknown as { tools: Json[] }).tools;
      expect(found[0]).toMatchObject({ type: 'function', name: 'get_weather' });
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: weatherArguments });
      if (call?.type !== 'function_call') throw new Error('no function call');

      if (kind === 'openai') {
        const sent = upstreamBody(upstream(), before);
        expect(sent['tools']).toEqual(expect.arrayContaining([{ type: 'tool_search' }, getWeather]));
        expect(upstream().requests.length).toBe(before + 1);
      } else {
        // The first turn sees only what is not deferred, and the search; the next turn the tool it found.
        expect(offeredNames(upstreamBody(upstream(), before))).toEqual(['get_time', 'tool_search']);
        expect(offeredNames(upstreamBody(upstream(), before + 1))).toEqual([
          'get_time',
          'get_weather',
          'tool_search',
        ]);
      }

      const second = await server.client.responses.create({
        model,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21 °C' }],
        tools,
      });
      expect(second.output_text).toBe('Sunny in Oslo.');
      const last = upstreamBody(upstream());
      if (kind === 'openai') {
        // The search goes back as OpenAI's own items, without Berth's ids.
        expect(last['input']).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'tool_search_call', arguments: { query: 'weather' } }),
            expect.objectContaining({ type: 'tool_search_output', tools: [getWeather] }),
          ]),
        );
        expect((last['input'] as Json[]).some((item) => 'id' in item)).toBe(false);
      } else {
        // The loaded tool stays loaded for the rest of the chain.
        expect(offeredNames(last)).toEqual(['get_time', 'get_weather', 'tool_search']);
      }
    },
  );

  it('hands a client-executed search to the client, and offers what its output loads', async () => {
    const before = upstream().requests.length;
    upstream().script(
      { toolSearches: [{ query: 'weather', execution: 'client' }] },
      { toolCalls: [{ name: 'get_weather', arguments: weatherArguments }] },
    );
    const clientTools: OpenAI.Responses.Tool[] = [
      getTime,
      getWeather,
      { type: 'tool_search', execution: 'client' },
    ];
    const first = await server.client.responses.create({
      model,
      input: 'Weather in Oslo?',
      tools: clientTools,
    });
    expect(first.output).toEqual([
      expect.objectContaining({
        type: 'tool_search_call',
        execution: 'client',
        arguments: { query: 'weather' },
      }),
    ]);
    const searchCall = first.output[0] as unknown as { call_id: string };
    const second = await server.client.responses.create({
      model,
      previous_response_id: first.id,
      input: [
        { type: 'tool_search_output', call_id: searchCall.call_id, execution: 'client', tools: [getWeather] },
      ],
      tools: clientTools,
    });
    expect(second.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'get_weather' })]);
    if (kind !== 'openai') {
      expect(offeredNames(upstreamBody(upstream(), before))).toEqual(['get_time', 'tool_search']);
      expect(offeredNames(upstreamBody(upstream(), before + 1))).toEqual([
        'get_time',
        'get_weather',
        'tool_search',
      ]);
    } else {
      expect(upstreamBody(upstream(), before + 1)['input']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'tool_search_output',
            call_id: searchCall.call_id,
            tools: [getWeather],
          }),
        ]),
      );
    }
  });

  it('refuses a deferred tool without a tool_search tool', async () => {
    const error = await server.client.responses
      .create({ model, input: 'hi', tools: [getWeather] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools[0].defer_loading');
  });
});

// OpenAI runs its own search; these providers run Berth's, which finds a tool inside a namespace.
describe.each(testProviders.filter(({ kind }) => kind !== 'openai'))(
  "Berth's tool_search through the $kind provider",
  ({ name, model }) => {
    const upstream = () => server.berth.upstreams[name];

    it('finds a deferred tool of a namespace and maps its call back', async () => {
      const forecast = {
        type: 'function' as const,
        name: 'get_forecast',
        description: 'Weather forecast for the next days.',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        defer_loading: true,
      };
      const lookup = {
        type: 'function' as const,
        name: 'lookup',
        description: 'Finds a customer.',
        defer_loading: true,
      };
      const crm: OpenAI.Responses.NamespaceTool = {
        type: 'namespace',
        name: 'crm',
        description: 'Customer records.',
        tools: [lookup, forecast],
      };
      upstream().script(
        { toolSearches: [{ query: 'forecast' }] },
        { toolCalls: [{ namespace: 'crm', name: 'get_forecast', arguments: weatherArguments }] },
      );
      const before = upstream().requests.length;
      const response = await server.client.responses.create({
        model,
        input: 'Forecast for Oslo?',
        tools: [crm, { type: 'tool_search' }],
      });
      const [, searchOutput, call] = response.output;
      expect((searchOutput as unknown as { tools: unknown }).tools).toEqual([
        {
          type: 'namespace',
          name: 'crm',
          description: 'Customer records.',
          tools: [{ ...forecast, strict: null }],
        },
      ]);
      expect(call).toMatchObject({ type: 'function_call', name: 'get_forecast', namespace: 'crm' });
      expect(offeredNames(upstreamBody(upstream(), before))).toEqual(['tool_search']);
      expect(offeredNames(upstreamBody(upstream(), before + 1))).toEqual([
        'crm__get_forecast',
        'tool_search',
      ]);
    });
  },
);
