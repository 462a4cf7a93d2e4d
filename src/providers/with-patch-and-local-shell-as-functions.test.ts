import { describe, expect, it } from 'vitest';
import { modelRequest } from '../../test/support/model-request-fixture.js';
import type { ModelEvent, ModelProvider, ModelRequest } from './model-provider.js';
import {
  patchAndLocalShellAsFunctions,
  withPatchAndLocalShellAsFunctions,
} from './with-patch-and-local-shell-as-functions.js';

const finish: ModelEvent = {
  type: 'finish',
  reason: 'tool_calls',
  usage: { inputTokens: 1, outputTokens: 1 },
};

/** A provider that records the request it got and answers with `events`, streamed or whole. */
function scriptedProvider(events: readonly ModelEvent[]): {
  provider: ModelProvider;
  received: ModelRequest[];
} {
  const received: ModelRequest[] = [];
  const provider: ModelProvider = {
    name: 'local',
    kind: 'openai-chat',
    async *stream(request) {
      received.push(request);
      await Promise.resolve();
      yield* events;
    },
    complete(request) {
      received.push(request);
      return Promise.resolve(events);
    },
    listModels: () => Promise.resolve([]),
    countInputTokens: (request) => {
      received.push(request);
      return Promise.resolve(1);
    },
    close: () => Promise.resolve(),
  };
  return { provider, received };
}

const request = modelRequest({
  model: 'llama3.2',
  applyPatchTool: true,
  localShellTool: true,
  toolChoice: { type: 'apply_patch' },
  input: [
    { role: 'user', content: 'Fix it.' },
    {
      type: 'apply_patch_call',
      call_id: 'call_1',
      status: 'completed',
      operation: { type: 'delete_file', path: 'old.txt' },
    },
    { type: 'apply_patch_call_output', call_id: 'call_1', status: 'failed', output: 'no such file' },
    {
      type: 'local_shell_call',
      id: 'lsh_1',
      call_id: 'call_2',
      status: 'completed',
      action: { type: 'exec', command: ['ls'], env: {}, working_directory: '/repo' },
    },
    { type: 'local_shell_call_output', id: 'call_2', output: '{"output":"a\\n"}' },
  ],
});

describe('patchAndLocalShellAsFunctions', () => {
  it('offers the tools as functions, names the function in tool_choice, and turns history into function terms', () => {
    const translated = patchAndLocalShellAsFunctions(request);
    expect(translated.tools.map((tool) => tool.name)).toEqual(['apply_patch', 'local_shell']);
    expect(translated.applyPatchTool).toBe(false);
    expect(translated.localShellTool).toBe(false);
    expect(translated.toolChoice).toEqual({ type: 'function', name: 'apply_patch' });
    expect(translated.input.slice(1)).toEqual([
      {
        type: 'function_call',
        call_id: 'call_1',
        name: 'apply_patch',
        arguments: '{"type":"delete_file","path":"old.txt"}',
      },
      { type: 'function_call_output', call_id: 'call_1', output: 'The patch failed: no such file' },
      {
        type: 'function_call',
        call_id: 'call_2',
        name: 'local_shell',
        arguments: '{"command":["ls"],"workdir":"/repo"}',
      },
      { type: 'function_call_output', call_id: 'call_2', output: '{"output":"a\\n"}' },
    ]);
  });

  it('names the functions in an allowed_tools choice', () => {
    const translated = patchAndLocalShellAsFunctions({
      ...request,
      toolChoice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'local_shell' }] },
    });
    expect(translated.toolChoice).toEqual({
      type: 'allowed_tools',
      mode: 'required',
      tools: [{ type: 'function', name: 'local_shell' }],
    });
  });
});

describe('withPatchAndLocalShellAsFunctions', () => {
  const patchArguments = '{"type":"create_file","path":"a.txt","diff":"+hello\\n"}';

  it('turns a streamed call of the apply_patch function into one apply-patch-call event', async () => {
    const { provider, received } = scriptedProvider([
      { type: 'tool-call-start', id: 'p1', callId: 'call_1', name: 'apply_patch' },
      { type: 'tool-call-delta', id: 'p1', delta: patchArguments.slice(0, 10) },
      { type: 'tool-call-delta', id: 'p1', delta: patchArguments.slice(10) },
      { type: 'tool-call-end', id: 'p1', arguments: patchArguments },
      finish,
    ]);
    const events: ModelEvent[] = [];
    const wrapped = withPatchAndLocalShellAsFunctions(provider);
    for await (const event of wrapped.stream(request, new AbortController().signal)) events.push(event);
    expect(events).toEqual([
      {
        type: 'apply-patch-call',
        id: 'p1',
        callId: 'call_1',
        operation: { type: 'create_file', path: 'a.txt', diff: '+hello\n' },
      },
      finish,
    ]);
    expect(received[0]?.tools.map((tool) => tool.name)).toEqual(['apply_patch', 'local_shell']);
  });

  it('turns a whole call of the local_shell function into a local-shell-call event', async () => {
    const argumentsText = '{"command":["git","status"],"timeout_ms":1000}';
    const { provider } = scriptedProvider([
      { type: 'tool-call-start', id: 'p1', callId: 'call_1', name: 'local_shell' },
      { type: 'tool-call-end', id: 'p1', arguments: argumentsText },
      finish,
    ]);
    const events = await withPatchAndLocalShellAsFunctions(provider).complete(
      request,
      new AbortController().signal,
    );
    expect(events[0]).toEqual({
      type: 'local-shell-call',
      id: 'p1',
      callId: 'call_1',
      action: {
        type: 'exec',
        command: ['git', 'status'],
        env: {},
        timeout_ms: 1000,
        working_directory: null,
        user: null,
      },
    });
  });

  it('leaves a call whose arguments are not the function JSON as the function call, and others alone', async () => {
    const { provider } = scriptedProvider([
      { type: 'tool-call-start', id: 'p1', callId: 'call_1', name: 'local_shell' },
      { type: 'tool-call-delta', id: 'p1', delta: '{"command":"ls"}' },
      { type: 'tool-call-end', id: 'p1', arguments: '{"command":"ls"}' },
      { type: 'tool-call-start', id: 'p2', callId: 'call_2', name: 'lookup' },
      { type: 'tool-call-end', id: 'p2', arguments: '{}' },
      finish,
    ]);
    const events = await withPatchAndLocalShellAsFunctions(provider).complete(
      request,
      new AbortController().signal,
    );
    expect(events).toEqual([
      { type: 'tool-call-start', id: 'p1', callId: 'call_1', name: 'local_shell' },
      { type: 'tool-call-delta', id: 'p1', delta: '{"command":"ls"}' },
      { type: 'tool-call-end', id: 'p1', arguments: '{"command":"ls"}' },
      { type: 'tool-call-start', id: 'p2', callId: 'call_2', name: 'lookup' },
      { type: 'tool-call-end', id: 'p2', arguments: '{}' },
      finish,
    ]);
  });

  it('leaves a function named apply_patch alone when the request does not offer the tool', async () => {
    const { provider } = scriptedProvider([
      { type: 'tool-call-start', id: 'p1', callId: 'call_1', name: 'apply_patch' },
      { type: 'tool-call-end', id: 'p1', arguments: patchArguments },
      finish,
    ]);
    const events = await withPatchAndLocalShellAsFunctions(provider).complete(
      modelRequest({ model: 'llama3.2' }),
      new AbortController().signal,
    );
    expect(events[0]).toMatchObject({ type: 'tool-call-start', name: 'apply_patch' });
  });
});
