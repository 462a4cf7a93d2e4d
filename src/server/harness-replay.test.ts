import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response, ResponseInputItem } from 'openai/resources/responses/responses';
import { startTestBerth, testProviders, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
beforeAll(async () => {
  berth = await startTestBerth();
});
afterAll(async () => {
  await berth.close();
});

type Item = Record<string, unknown>;

/** Each turn's `berth-ignored-tools` header, newest last. */
const ignoredTools: (string | null)[] = [];

/**
 * A request shaped like a coding-agent harness's (recorded field by field from what such clients
 * send): `store:false` with the whole history as input, reasoning from an earlier OpenAI turn,
 * `include`, `prompt_cache_key`, `text.verbosity`, `client_metadata`, function tools, a freeform
 * `apply_patch` custom tool with a lark grammar, `web_search`, an MCP-style `namespace`, and
 * `tool_search` with a `defer_loading` function.
 */
const recorded = JSON.parse(
  readFileSync(new URL('../../test/fixtures/harness/coding-agent-request.json', import.meta.url), 'utf8'),
) as { input: ResponseInputItem[] } & Record<string, unknown>;

const patch = [
  '*** Begin Patch',
  '*** Update File: src/app.ts',
  '@@ export function greet(name: string) {',
  '-  return `Hello, ${name}`;',
  '+  return `Hello, ${name}!`;',
  '*** End Patch',
  '',
].join('\n');

/** Sends one turn as the harness does (streamed, stateless) and returns the completed response. */
async function turn(model: string, input: readonly ResponseInputItem[]): Promise<Response> {
  const { data: stream, response } = await berth
    .client()
    .responses.create({ ...recorded, model, input } as never)
    .withResponse();
  ignoredTools.push(response.headers.get('berth-ignored-tools'));
  let completed: Response | undefined;
  for await (const event of stream as unknown as AsyncIterable<{ type: string; response?: Response }>) {
    if (event.type === 'response.completed') completed = event.response;
  }
  if (!completed) throw new Error('the stream ended without response.completed');
  return completed;
}

describe.each(testProviders)('a coding-agent harness on the $kind provider', ({ name, model }) => {
  it('completes a custom-tool round trip, then a function round trip, resending the whole history', async () => {
    const upstream = berth.upstreams[name];
    upstream.script(
      { reasoning: 'I will patch greet.', customCalls: [{ name: 'apply_patch', input: patch }] },
      { toolCalls: [{ name: 'exec_command', arguments: '{"cmd":"npm test","workdir":"/work/app"}' }] },
      { text: 'greet now ends with "!", and the tests pass.' },
    );

    const first = await turn(model, recorded.input);
    const patchCall = first.output.find((item) => item.type === 'custom_tool_call');
    expect(patchCall).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: patch });

    const history = [
      ...recorded.input,
      ...(first.output as unknown as ResponseInputItem[]),
      {
        type: 'custom_tool_call_output',
        call_id: String(patchCall?.call_id),
        output: 'Success. Updated src/app.ts',
      },
    ] as ResponseInputItem[];
    const second = await turn(model, history);
    const testCall = second.output.find((item) => item.type === 'function_call');
    expect(testCall).toMatchObject({
      name: 'exec_command',
      arguments: '{"cmd":"npm test","workdir":"/work/app"}',
    });

    const final = await turn(model, [
      ...history,
      ...(second.output as unknown as ResponseInputItem[]),
      { type: 'function_call_output', call_id: String(testCall?.call_id), output: 'Tests: 12 passed' },
    ] as ResponseInputItem[]);
    expect(final.status).toBe('completed');
    expect(textOf(final)).toBe('greet now ends with "!", and the tests pass.');
    // Stateless: nothing was stored.
    await expect(berth.client().responses.retrieve(final.id)).rejects.toMatchObject({ status: 404 });

    // The last upstream request carried the whole conversation, tool results included.
    const sent = JSON.stringify(upstream.requests.at(-1)?.body);
    for (const text of ['What does src/app.ts export?', 'Success. Updated src/app.ts', 'Tests: 12 passed']) {
      expect(sent).toContain(text);
    }
    // Every tool type reached the model in the form its provider kind takes: web search where the
    // provider runs one (left out, and said so, on Chat Completions), the namespaced tool, and the
    // search over deferred tools.
    expect(ignoredTools.at(-1)).toBe(name === 'local' ? 'web_search' : null);
    if (name === 'oai') {
      expect(sent).toContain('"type":"web_search"');
      expect(sent).toContain('"type":"namespace"');
      expect(sent).toContain('"defer_loading":true');
    } else {
      expect(sent).toContain('docs__search_docs');
      expect(sent).toContain('"name":"tool_search"');
      expect(sent).not.toContain('list_mcp_resources');
      expect(sent.includes('web_search_20250305')).toBe(name === 'claude');
    }
  });
});

function textOf(response: Response): string {
  return (response.output as unknown as Item[])
    .flatMap((item) => (item.type === 'message' ? (item.content as Item[]) : []))
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .join('');
}
