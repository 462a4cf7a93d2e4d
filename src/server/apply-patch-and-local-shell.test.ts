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

const diff = '@@ def greet():\n-    print("hello")\n+    print("hello, world")\n';
const operation = { type: 'update_file', path: 'src/greet.py', diff } as const;
const command = ['bash', '-lc', 'ls src'];
const action = {
  type: 'exec',
  command,
  env: {},
  timeout_ms: 5000,
  user: null,
  working_directory: '/repo',
} as const;
/** The arguments the function form of each tool carries. */
const functionArguments = {
  apply_patch: { type: 'update_file', path: 'src/greet.py', diff },
  local_shell: { command, workdir: '/repo', timeout_ms: 5000 },
};
/** The events of a streamed response whose one output item is a whole call, sent without deltas. */
const oneItemEvents = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.output_item.done',
  'response.completed',
];
const shellOutput = JSON.stringify({
  output: 'greet.py\n',
  metadata: { exit_code: 0, duration_seconds: 0.1 },
});

/** The tool as each kind was offered it: natively, or as the function of its name. */
function expectOfferedTool(kind: ProviderKind, body: Json, type: 'apply_patch' | 'local_shell'): void {
  const tools = body['tools'] as Json[];
  if (kind === 'openai') {
    expect(tools).toEqual([{ type }]);
    return;
  }
  expect(tools).toHaveLength(1);
  const offered = kind === 'openai-chat' ? (tools[0]?.['function'] as Json) : tools[0];
  expect(offered).toMatchObject({ name: type });
  const schema = (kind === 'openai-chat' ? offered?.['parameters'] : offered?.['input_schema']) as Json;
  const properties = schema['properties'] as Json;
  if (type === 'apply_patch') {
    expect(properties['type']).toEqual({
      type: 'string',
      enum: ['create_file', 'update_file', 'delete_file'],
    });
    expect(Object.keys(properties)).toEqual(['type', 'path', 'diff']);
    expect(String(offered?.['description'])).toContain('V4A');
  } else {
    expect(Object.keys(properties)).toEqual(['command', 'workdir', 'timeout_ms']);
  }
}

/** The call and its output as the upstream got them back on the next turn. */
function expectSentBack(
  kind: ProviderKind,
  body: Json,
  type: 'apply_patch' | 'local_shell',
  callId: string,
  output: string,
): void {
  if (kind === 'openai') {
    const items: Json[] =
      type === 'apply_patch'
        ? [
            { type: 'apply_patch_call', call_id: callId, operation, status: 'completed' },
            { type: 'apply_patch_call_output', call_id: callId, status: 'completed', output },
          ]
        : [
            { type: 'local_shell_call', call_id: callId, action, status: 'completed' },
            // Answered as the function output of the call: the stateless form the API takes.
            { type: 'function_call_output', call_id: callId, output },
          ];
    expect(body['input']).toEqual(expect.arrayContaining(items));
  } else if (kind === 'openai-chat') {
    expect(body['messages']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'assistant',
          tool_calls: [
            {
              id: callId,
              type: 'function',
              function: { name: type, arguments: JSON.stringify(functionArguments[type]) },
            },
          ],
        }),
        { role: 'tool', tool_call_id: callId, content: output },
      ]),
    );
  } else {
    expect(body['messages']).toEqual(
      expect.arrayContaining([
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: callId, name: type, input: functionArguments[type] }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: callId, content: output }] },
      ]),
    );
  }
}

describe.each(testProviders)(
  'apply_patch and local_shell through the $kind provider',
  ({ name, kind, model }) => {
    const upstream = () => server.berth.upstreams[name];

    it('round-trips an apply_patch call without streaming, continued with previous_response_id', async () => {
      upstream().script({ applyPatchCalls: [operation] }, { text: 'Patched.' });
      const before = upstream().requests.length;
      const first = await server.client.responses.create({
        model,
        input: 'Make the greeting friendlier.',
        tools: [{ type: 'apply_patch' }],
        tool_choice: { type: 'apply_patch' },
      });
      expect(first.status).toBe('completed');
      expect(first.tools).toEqual([{ type: 'apply_patch' }]);
      expect(first.output).toEqual([
        {
          id: expect.stringMatching(/^apc_/) as string,
          type: 'apply_patch_call',
          status: 'completed',
          call_id: expect.any(String) as string,
          operation,
        },
      ]);
      const call = first.output[0];
      if (call?.type !== 'apply_patch_call') throw new Error('no apply_patch call');
      const firstSent = upstreamBody(upstream(), before);
      expectOfferedTool(kind, firstSent, 'apply_patch');
      expect(firstSent['tool_choice']).toEqual(
        {
          openai: { type: 'apply_patch' },
          'openai-chat': { type: 'function', function: { name: 'apply_patch' } },
          anthropic: { type: 'tool', name: 'apply_patch' },
        }[kind],
      );

      const second = await server.client.responses.create({
        model,
        previous_response_id: first.id,
        input: [
          { type: 'apply_patch_call_output', call_id: call.call_id, status: 'completed', output: 'Done.' },
        ],
        tools: [{ type: 'apply_patch' }],
      });
      expect(second.output_text).toBe('Patched.');
      expectSentBack(kind, upstreamBody(upstream(), before + 1), 'apply_patch', call.call_id, 'Done.');
      const stored = await server.client.responses.retrieve(first.id);
      expect(stored.output).toEqual(first.output);
    });

    it('streams an apply_patch call, continued statelessly with the whole history', async () => {
      upstream().script({ applyPatchCalls: [operation] }, { text: 'Patched.' });
      const before = upstream().requests.length;
      const history: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Fix the greeting.' }];
      const tools: OpenAI.Responses.Tool[] = [{ type: 'apply_patch' }];
      const { events, final } = await collectStream(
        server.client.responses.stream({ model, input: history, tools, store: false }),
      );
      expect(events.map((event) => event.type)).toEqual(oneItemEvents);
      const call = final.output[0];
      expect(call).toMatchObject({ type: 'apply_patch_call', status: 'completed', operation });
      if (call?.type !== 'apply_patch_call') throw new Error('no apply_patch call');
      expectOfferedTool(kind, upstreamBody(upstream(), before), 'apply_patch');

      const next = server.client.responses.stream({
        model,
        store: false,
        tools,
        input: [
          ...history,
          call,
          { type: 'apply_patch_call_output', call_id: call.call_id, status: 'completed', output: 'Done.' },
        ],
      });
      expect((await next.finalResponse()).output_text).toBe('Patched.');
      expectSentBack(kind, upstreamBody(upstream(), before + 1), 'apply_patch', call.call_id, 'Done.');
    });

    it('round-trips a local_shell call without streaming, continued with previous_response_id', async () => {
      upstream().script(
        { localShellCalls: [{ command, workdir: '/repo', timeoutMs: 5000 }] },
        { text: 'One file.' },
      );
      const before = upstream().requests.length;
      const first = await server.client.responses.create({
        model,
        input: 'What is in src?',
        tools: [{ type: 'local_shell' }],
      });
      expect(first.status).toBe('completed');
      expect(first.tools).toEqual([{ type: 'local_shell' }]);
      expect(first.output).toEqual([
        {
          id: expect.stringMatching(/^lsh_/) as string,
          type: 'local_shell_call',
          status: 'completed',
          call_id: expect.any(String) as string,
          action,
        },
      ]);
      const call = first.output[0];
      if (call?.type !== 'local_shell_call') throw new Error('no local_shell call');
      expectOfferedTool(kind, upstreamBody(upstream(), before), 'local_shell');

      const second = await server.client.responses.create({
        model,
        previous_response_id: first.id,
        input: [{ type: 'local_shell_call_output', id: call.call_id, output: shellOutput }],
        tools: [{ type: 'local_shell' }],
      });
      expect(second.output_text).toBe('One file.');
      expectSentBack(kind, upstreamBody(upstream(), before + 1), 'local_shell', call.call_id, shellOutput);
    });

    it('streams a local_shell call, continued statelessly with the whole history', async () => {
      upstream().script(
        { localShellCalls: [{ command, workdir: '/repo', timeoutMs: 5000 }] },
        { text: 'One file.' },
      );
      const before = upstream().requests.length;
      const history: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'What is in src?' }];
      const tools: OpenAI.Responses.Tool[] = [{ type: 'local_shell' }];
      const { events, final } = await collectStream(
        server.client.responses.stream({ model, input: history, tools, store: false }),
      );
      expect(events.map((event) => event.type)).toEqual(oneItemEvents);
      const call = final.output[0];
      expect(call).toMatchObject({ type: 'local_shell_call', status: 'completed', action });
      if (call?.type !== 'local_shell_call') throw new Error('no local_shell call');

      const next = server.client.responses.stream({
        model,
        store: false,
        tools,
        input: [...history, call, { type: 'local_shell_call_output', id: call.call_id, output: shellOutput }],
      });
      expect((await next.finalResponse()).output_text).toBe('One file.');
      expectSentBack(kind, upstreamBody(upstream(), before + 1), 'local_shell', call.call_id, shellOutput);
    });
  },
);

describe('a call of the function form whose arguments are not its JSON', () => {
  it('stays the function call the model made', async () => {
    const upstream = server.berth.upstreams.local;
    upstream.script({ toolCalls: [{ name: 'apply_patch', arguments: '{"type":"rename_file"}' }] });
    const response = await server.client.responses.create({
      model: 'local/llama3.2',
      input: 'x',
      tools: [{ type: 'apply_patch' }],
    });
    expect(response.output).toEqual([
      expect.objectContaining({
        type: 'function_call',
        name: 'apply_patch',
        arguments: '{"type":"rename_file"}',
      }),
    ]);
  });
});

describe('apply_patch and local_shell requests Berth refuses', () => {
  const refused = (body: Json) => createUnchecked(server.client, body);

  it('an apply_patch tool with a field it does not have is a 400 naming the tool', async () => {
    await expect(refused({ tools: [{ type: 'apply_patch', name: 'patch' }] })).rejects.toMatchObject({
      status: 400,
      param: expect.stringMatching(/^tools\[0\]/) as string,
    });
  });

  it('two local_shell tools are a 400 naming the second', async () => {
    const tools = [{ type: 'local_shell' }, { type: 'local_shell' }];
    await expect(refused({ tools })).rejects.toMatchObject({ status: 400, param: 'tools[1]' });
  });

  it.each(['apply_patch', 'local_shell'])(
    'a function named %s beside that tool is a 400 naming the function',
    async (type) => {
      const tools = [{ type: 'function', name: type, parameters: { type: 'object' } }, { type }];
      await expect(refused({ tools })).rejects.toMatchObject({ status: 400, param: 'tools[0].name' });
    },
  );

  it('local_shell beside the hosted shell tool is accepted: their names differ on every kind', async () => {
    server.berth.upstreams.claude.script({ text: 'ok' });
    const before = server.berth.upstreams.claude.requests.length;
    const response = await server.client.responses.create({
      model: 'claude/claude-sonnet-5-5',
      input: 'x',
      tools: [{ type: 'shell' }, { type: 'local_shell' }],
    });
    expect(response.status).toBe('completed');
    const tools = upstreamBody(server.berth.upstreams.claude, before)['tools'] as Json[];
    expect(tools.map((tool) => tool['name'])).toEqual(expect.arrayContaining(['bash', 'local_shell']));
  });

  it('an apply_patch tool_choice without the tool is a 400', async () => {
    await expect(refused({ tool_choice: { type: 'apply_patch' } })).rejects.toMatchObject({
      status: 400,
      param: 'tool_choice',
    });
  });

  it('an apply_patch_call_output that answers no call is a 400', async () => {
    const input = [{ type: 'apply_patch_call_output', call_id: 'call_missing', status: 'completed' }];
    await expect(refused({ input })).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('a local_shell_call_output that answers no call is a 400', async () => {
    const input = [{ type: 'local_shell_call_output', id: 'call_missing', output: '{}' }];
    await expect(refused({ input })).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('an apply_patch_call with an unknown operation is a 400 naming the item', async () => {
    const input = [
      {
        type: 'apply_patch_call',
        call_id: 'call_1',
        status: 'completed',
        operation: { type: 'rename_file', path: 'a' },
      },
    ];
    await expect(refused({ input })).rejects.toMatchObject({
      status: 400,
      param: expect.stringMatching(/^input\[0\]/) as string,
    });
  });

  it('an apply_patch_call_output with an unknown status is a 400 naming it', async () => {
    const input = [{ type: 'apply_patch_call_output', call_id: 'call_1', status: 'done' }];
    await expect(refused({ input })).rejects.toMatchObject({ status: 400, param: 'input[0].status' });
  });
});
