import { describe, expect, it } from 'vitest';
import type {
  ResponseCreateParamsNonStreaming,
  ResponseStreamEvent,
  Tool,
} from 'openai/resources/responses/responses';
import type { Logger } from '../logger.js';
import type { TestBerth } from '../../test/support/start-test-berth.js';
import { upstreamBody } from '../../test/support/upstream-bodies.js';
import { useTestBerth } from '../../test/support/use-test-berth.js';

const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
const logger: Logger = {
  info: () => undefined,
  access: () => undefined,
  warn: (message, fields) => void warnings.push({ message, ...(fields ? { fields } : {}) }),
  error: () => undefined,
};
const main = useTestBerth({ logger });
const rejecting = useTestBerth({ hostedTools: { unsupported: 'reject' } });

const lookup: Tool = { type: 'function', name: 'lookup', parameters: { type: 'object' }, strict: false };
const webSearch: Tool = {
  type: 'web_search',
  search_context_size: 'low',
  filters: { allowed_domains: ['example.com'] },
  user_location: { type: 'approximate', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' },
};
const fileSearch: Tool = { type: 'file_search', vector_store_ids: ['vs_1'] };
const mcp: Tool = {
  type: 'mcp',
  server_label: 'docs',
  server_url: 'https://mcp.example.com',
  require_approval: 'never',
};

const search = {
  query: 'berth harbour',
  results: [{ url: 'https://example.com/harbour', title: 'The harbour' }],
};

/** The message a scripted answer citing the search's one page comes back as: `text`, cited whole. */
function citedMessage(text: string) {
  return {
    content: [
      {
        type: 'output_text',
        text,
        annotations: [
          {
            type: 'url_citation',
            url: 'https://example.com/harbour',
            title: 'The harbour',
            start_index: 0,
            end_index: text.length,
          },
        ],
      },
    ],
  };
}

/** The item events of one web search, in the order a stream carries them. */
const webSearchCallEvents = [
  'response.web_search_call.in_progress',
  'response.web_search_call.searching',
  'response.web_search_call.completed',
];

/** A create request as a client sends it, streaming or not. */
function request(
  model: string,
  tools: Tool[],
  extra: Partial<ResponseCreateParamsNonStreaming> = {},
): ResponseCreateParamsNonStreaming {
  return { model, input: 'Where is the harbour?', tools, ...extra };
}

async function streamed(target: TestBerth, body: ResponseCreateParamsNonStreaming) {
  const { data, response } = await target
    .client()
    .responses.create({ ...body, stream: true })
    .withResponse();
  const events: ResponseStreamEvent[] = [];
  for await (const event of data) events.push(event);
  const completed = events.at(-1);
  if (completed?.type !== 'response.completed') throw new Error(`ended with ${completed?.type}`);
  return { events, response: completed.response, headers: response.headers };
}

async function completed(target: TestBerth, body: ResponseCreateParamsNonStreaming) {
  const { data, response } = await target.client().responses.create(body).withResponse();
  return { response: data, headers: response.headers };
}

describe('a hosted tool on a kind that cannot run it (openai-chat)', () => {
  it.each([false, true])(
    'is left out, logged and named in berth-ignored-tools by default (stream: %s)',
    async (stream) => {
      const body = request('local/llama3.2', [webSearch, lookup, fileSearch]);
      const { response, headers } = stream
        ? await streamed(main.berth, body)
        : await completed(main.berth, body);
      expect(response.status).toBe('completed');
      expect(headers.get('berth-ignored-tools')).toBe('web_search,file_search');
      expect(warnings.at(-1)).toEqual({
        message: 'ignored hosted tools the provider cannot run',
        fields: { tools: ['web_search', 'file_search'], providerKind: 'openai-chat' },
      });
      // Echoed as the client sent them.
      expect(response.tools.map((tool) => tool.type)).toEqual(['web_search', 'function', 'file_search']);
      const upstreamTools = upstreamBody(main.berth.upstreams.local)['tools'] as { type: string }[];
      expect(upstreamTools).toHaveLength(1);
      expect(upstreamTools[0]).toMatchObject({ type: 'function', function: { name: 'lookup' } });
    },
  );

  it('carries no header when nothing was left out', async () => {
    const { headers } = await completed(main.berth, request('local/llama3.2', [lookup]));
    expect(headers.get('berth-ignored-tools')).toBeNull();
  });

  it.each([false, true])('is a 400 naming tools[i].type with reject (stream: %s)', async (stream) => {
    const body = request('local/llama3.2', [lookup, mcp]);
    const attempt = stream ? streamed(rejecting.berth, body) : completed(rejecting.berth, body);
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'tools[1].type' });
    expect((error as Error).message).toContain("'mcp'");
    expect((error as Error).message).toContain("'openai-chat'");
  });

  it('refuses a tool_choice forcing an ignored tool, under either rule', async () => {
    for (const target of [main.berth, rejecting.berth]) {
      const body = request('local/llama3.2', [fileSearch], { tool_choice: { type: 'file_search' } });
      await expect(completed(target, body)).rejects.toMatchObject({ status: 400 });
    }
    const body = request('local/llama3.2', [fileSearch], { tool_choice: { type: 'file_search' } });
    await expect(completed(main.berth, body)).rejects.toMatchObject({ param: 'tool_choice' });
  });

  it('leaves hosted items a stateless client resends out of the upstream request', async () => {
    const input = [
      { role: 'user' as const, content: 'Find it' },
      {
        type: 'web_search_call' as const,
        id: 'ws_1',
        status: 'completed' as const,
        action: { type: 'search' as const, query: 'harbour' },
      },
      { role: 'assistant' as const, content: 'It is by the sea.' },
      { role: 'user' as const, content: 'Thanks' },
    ];
    const { response } = await completed(main.berth, { model: 'local/llama3.2', input, store: false });
    expect(response.status).toBe('completed');
    const messages = upstreamBody(main.berth.upstreams.local)['messages'] as { role: string }[];
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
  });
});

describe('hosted tools on openai pass through', () => {
  it.each([false, true])(
    'sends web_search, file_search and mcp as written and returns the upstream items (stream: %s)',
    async (stream) => {
      const text = 'The harbour is by the sea.';
      main.berth.upstreams.oai.script({
        webSearches: [search],
        hostedItems: [
          {
            item: {
              type: 'file_search_call',
              status: 'completed',
              queries: ['harbour'],
              results: null,
            },
            events: ['in_progress', 'searching', 'completed'],
          },
          {
            item: {
              type: 'mcp_call',
              status: 'completed',
              server_label: 'docs',
              name: 'read',
              arguments: '{}',
              output: 'docs',
            },
            events: ['in_progress', 'completed'],
          },
        ],
        citations: search.results,
        text,
      });
      const body = request('oai/gpt-5', [webSearch, fileSearch, mcp, lookup], {
        tool_choice: { type: 'file_search' },
        include: ['web_search_call.action.sources', 'message.input_image.image_url'],
      });
      const result = stream ? await streamed(main.berth, body) : await completed(main.berth, body);
      expect(result.headers.get('berth-ignored-tools')).toBeNull();

      const upstream = upstreamBody(main.berth.upstreams.oai);
      expect(upstream['tools']).toEqual(expect.arrayContaining([webSearch, fileSearch, mcp]));
      expect(upstream['tool_choice']).toEqual({ type: 'file_search' });
      // What the client asks of the hosted tools' items goes along; the rest is Berth's to decide.
      expect(upstream['include']).toEqual(['web_search_call.action.sources']);

      const { output } = result.response;
      expect(output.map((item) => item.type)).toEqual([
        'web_search_call',
        'file_search_call',
        'mcp_call',
        'message',
      ]);
      expect(output[0]).toMatchObject({
        type: 'web_search_call',
        status: 'completed',
        action: {
          type: 'search',
          query: search.query,
          sources: [{ type: 'url', url: search.results[0]?.url }],
        },
      });
      expect(output[2]).toMatchObject({ type: 'mcp_call', server_label: 'docs', output: 'docs' });
      expect(output[3]).toMatchObject(citedMessage(text));
      if (!('events' in result)) return;
      const events = result.events as ResponseStreamEvent[];
      const webSearchId = output[0]?.id;
      const itemEvents = events
        .filter((event) => event.type.startsWith('response.web_search_call.'))
        .map((event) => event as { type: string; item_id: string; output_index: number });
      expect(itemEvents.map((event) => event.type)).toEqual(webSearchCallEvents);
      expect(itemEvents.every((event) => event.item_id === webSearchId && event.output_index === 0)).toBe(
        true,
      );
      expect(events.map((event) => event.type)).toContain('response.mcp_call.in_progress');
      expect(events.map((event) => event.type)).toContain('response.output_text.annotation.added');
      // Berth numbers the events itself, without gaps.
      expect(events.map((event) => event.sequence_number)).toEqual(events.map((_e, i) => i));
    },
  );

  it('sends hosted items a stateless client resends back to the upstream, without their ids', async () => {
    const input = [
      { role: 'user' as const, content: 'Find it' },
      {
        type: 'web_search_call' as const,
        id: 'ws_1',
        status: 'completed' as const,
        action: { type: 'search' as const, query: 'harbour' },
      },
      {
        type: 'mcp_approval_response' as const,
        approval_request_id: 'mcpr_1',
        approve: true,
      },
    ];
    const { response } = await completed(main.berth, {
      model: 'oai/gpt-5',
      input,
      store: false,
      tools: [mcp],
    });
    expect(response.status).toBe('completed');
    const sent = upstreamBody(main.berth.upstreams.oai)['input'] as Record<string, unknown>[];
    expect(sent.slice(1)).toEqual([
      { type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'harbour' } },
      { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true },
    ]);
  });
});

describe('web search on anthropic', () => {
  it.each([false, true])(
    "runs as Anthropic's server-side search and comes back as web_search_call and url_citation (stream: %s)",
    async (stream) => {
      const text = 'The harbour is by the sea.';
      main.berth.upstreams.claude.script({ webSearches: [search], citations: search.results, text });
      const body = request('claude/claude-sonnet-5-5', [webSearch, lookup]);
      const result = stream ? await streamed(main.berth, body) : await completed(main.berth, body);
      expect(result.headers.get('berth-ignored-tools')).toBeNull();

      const upstreamTools = upstreamBody(main.berth.upstreams.claude)['tools'] as Record<string, unknown>[];
      expect(upstreamTools).toContainEqual({
        type: 'web_search_20250305',
        name: 'web_search',
        allowed_domains: ['example.com'],
        user_location: { type: 'approximate', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' },
      });

      const { output } = result.response;
      expect(output.map((item) => item.type)).toEqual(['web_search_call', 'message']);
      expect(output[0]).toMatchObject({
        type: 'web_search_call',
        id: expect.stringMatching(/^ws_/) as unknown,
        status: 'completed',
        action: {
          type: 'search',
          query: search.query,
          sources: [{ type: 'url', url: 'https://example.com/harbour' }],
        },
      });
      expect(output[1]).toMatchObject(citedMessage(text));
      if (!('events' in result)) return;
      const events = result.events as ResponseStreamEvent[];
      expect(
        events
          .filter((event) => event.type.startsWith('response.web_search_call.'))
          .map((event) => event.type),
      ).toEqual(webSearchCallEvents);
    },
  );

  it('maps web_search_preview and a tool_choice forcing it', async () => {
    const body = request('claude/claude-sonnet-5-5', [{ type: 'web_search_preview' }], {
      tool_choice: { type: 'web_search_preview' },
    });
    await completed(main.berth, body);
    const upstream = upstreamBody(main.berth.upstreams.claude);
    expect(upstream['tools']).toEqual([{ type: 'web_search_20250305', name: 'web_search' }]);
    expect(upstream['tool_choice']).toEqual({ type: 'tool', name: 'web_search' });
  });

  it('follows the rule for hosted tools Anthropic cannot run', async () => {
    const body = request('claude/claude-sonnet-5-5', [webSearch, fileSearch, mcp]);
    const { headers } = await completed(main.berth, body);
    expect(headers.get('berth-ignored-tools')).toBe('file_search,mcp');
    expect(upstreamBody(main.berth.upstreams.claude)['tools']).toHaveLength(1);
    await expect(completed(rejecting.berth, body)).rejects.toMatchObject({
      status: 400,
      param: 'tools[1].type',
    });
  });

  it('keeps a follow-up valid: the search stays out of the history, its answer stays in', async () => {
    const text = 'The harbour is by the sea.';
    main.berth.upstreams.claude.script({ webSearches: [search], citations: search.results, text });
    const first = await main.berth
      .client()
      .responses.create(request('claude/claude-sonnet-5-5', [webSearch]));
    const second = await main.berth.client().responses.create({
      model: 'claude/claude-sonnet-5-5',
      previous_response_id: first.id,
      input: 'And the lighthouse?',
      tools: [webSearch],
    });
    expect(second.status).toBe('completed');
    const messages = upstreamBody(main.berth.upstreams.claude)['messages'] as {
      role: string;
      content: unknown;
    }[];
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(messages[1]?.content)).toContain(text);
  });
});
