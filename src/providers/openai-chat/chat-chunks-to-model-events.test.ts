import { describe, it, expect } from 'vitest';
import type { ModelEvent } from '../model-provider.js';
import { chatChunksToModelEvents } from './chat-chunks-to-model-events.js';
import { chatCompletionToModelEvents } from './chat-completion-to-model-events.js';

/*
 * The quirks of real compatible servers, fed to the converters directly: the fake upstream speaks
 * OpenAI's exact format, so the deviations are reproduced here as the chunks those servers send.
 */

async function* from(chunks: readonly unknown[]): AsyncGenerator<unknown> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

async function convert(chunks: readonly unknown[], shellTool = false): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  let count = 0;
  const newCallId = () => `call_synthetic${count++}`;
  for await (const event of chatChunksToModelEvents(from(chunks), {
    newCallId,
    shellTool,
  })) {
    events.push(event);
  }
  return events;
}

const noShell = { newCallId: () => 'call_synthetic', shellTool: false };

const delta = (value: Record<string, unknown>, finishReason: string | null = null): unknown => ({
  choices: [{ index: 0, delta: value, finish_reason: finishReason }],
});

describe('chatChunksToModelEvents', () => {
  const shellDelta = (index: number, fields: Record<string, unknown>): unknown =>
    delta({ tool_calls: [{ index, ...fields }] });

  it('streams a call of the shell function as one shell call, whole at the end', async () => {
    const chunks = [
      delta({ role: 'assistant', content: 'Looking.' }),
      shellDelta(0, { id: 'call_1', type: 'function', function: { name: 'shell', arguments: '' } }),
      shellDelta(0, { function: { arguments: '{"commands":["cd /mnt/data",' } }),
      shellDelta(0, { function: { arguments: '"ls"]}' } }),
      delta({}, 'tool_calls'),
    ];
    const events = await convert(chunks, true);

    expect(events.slice(2)).toEqual([
      { type: 'text-end', id: 'text-0' },
      { type: 'shell-call-start', id: 'call-1', callId: 'call_1' },
      {
        type: 'shell-call-end',
        id: 'call-1',
        action: { commands: ['cd /mnt/data', 'ls'], timeoutMs: null, maxOutputLength: null },
      },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);

    // Without the shell tool, a client function that happens to be called `shell` is just a function.
    const plain = await convert(chunks, false);
    expect(plain.map((event) => event.type)).toContain('tool-call-start');
    expect(plain.map((event) => event.type)).not.toContain('shell-call-start');
  });

  it('ends a shell call whose arguments are cut off as invalid, with the text the model sent', async () => {
    const events = await convert(
      [
        shellDelta(0, { id: 'call_1', function: { name: 'shell', arguments: '{"commands":["ec' } }),
        delta({}, 'length'),
      ],
      true,
    );
    expect(events).toEqual([
      { type: 'shell-call-start', id: 'call-0', callId: 'call_1' },
      {
        type: 'shell-call-end',
        id: 'call-0',
        action: {
          commands: ['{"commands":["ec'],
          timeoutMs: null,
          maxOutputLength: null,
          invalid: 'The shell arguments are not valid JSON.',
        },
      },
      { type: 'finish', reason: 'length', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('finishes with stop and zero usage when the server sends neither finish_reason nor usage', async () => {
    const events = await convert([
      delta({ role: 'assistant' }),
      delta({ content: 'Hi' }),
      delta({ content: null }),
    ]);

    expect(events).toEqual([
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hi' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('synthesizes a call_id, takes arguments delivered whole, and reports tool_calls despite stop', async () => {
    // Ollama: no id, the complete arguments in one delta, and `stop` as the finish reason.
    const events = await convert([
      delta({ role: 'assistant', content: '' }),
      delta({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] }),
      delta({}, 'stop'),
    ]);

    expect(events).toEqual([
      { type: 'tool-call-start', id: 'call-0', callId: 'call_synthetic0', name: 'get_weather' },
      { type: 'tool-call-delta', id: 'call-0', delta: '{"city":"Oslo"}' },
      { type: 'tool-call-end', id: 'call-0', arguments: '{"city":"Oslo"}' },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('assembles calls without index by id, ignores repeated names, and completes empty arguments', async () => {
    const events = await convert([
      delta({ tool_calls: [{ id: 'call_a', function: { name: 'search', arguments: '{"q":' } }] }),
      delta({ tool_calls: [{ function: { name: 'search', arguments: '"cats"}' } }] }),
      delta({ tool_calls: [{ id: 'call_b', function: { name: 'now' } }] }),
      delta({}, 'tool_calls'),
    ]);

    expect(events.filter((event) => event.type === 'tool-call-start')).toEqual([
      { type: 'tool-call-start', id: 'call-0', callId: 'call_a', name: 'search' },
      { type: 'tool-call-start', id: 'call-1', callId: 'call_b', name: 'now' },
    ]);
    expect(events.filter((event) => event.type === 'tool-call-end')).toEqual([
      { type: 'tool-call-end', id: 'call-0', arguments: '{"q":"cats"}' },
      { type: 'tool-call-end', id: 'call-1', arguments: '{}' },
    ]);
  });

  it('assembles interleaved parallel calls by index and accepts object arguments', async () => {
    const events = await convert([
      delta({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'a', arguments: '{"x"' } }] }),
      delta({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'b', arguments: { y: 2 } } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
    ]);

    expect(events.filter((event) => event.type === 'tool-call-end')).toEqual([
      { type: 'tool-call-end', id: 'call-0', arguments: '{"x":1}' },
      { type: 'tool-call-end', id: 'call-1', arguments: '{"y":2}' },
    ]);
  });

  it('streams reasoning_content (vLLM, DeepSeek, llama.cpp) as raw reasoning text before the answer', async () => {
    const events = await convert([
      delta({ role: 'assistant', content: '', reasoning_content: null }),
      delta({ reasoning_content: 'Six sevens' }),
      delta({ reasoning_content: ' are 42.', content: null }),
      delta({ content: '42' }),
      delta({}, 'stop'),
    ]);

    expect(events).toEqual([
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-text-delta', id: 'reasoning-0', delta: 'Six sevens' },
      { type: 'reasoning-text-delta', id: 'reasoning-0', delta: ' are 42.' },
      { type: 'reasoning-end', id: 'reasoning-0', encryptedContent: null },
      { type: 'text-start', id: 'text-1' },
      { type: 'text-delta', id: 'text-1', delta: '42' },
      { type: 'text-end', id: 'text-1' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('reads reasoning from `reasoning` (Ollama, OpenRouter) and never twice when both fields are sent', async () => {
    const events = await convert([
      delta({ reasoning: 'Think' }),
      delta({ reasoning_content: 'ing.', reasoning: 'ing.' }),
      delta({ content: 'Done.' }),
      delta({ reasoning: 'More?' }),
    ]);

    expect(events.map((event) => event.type)).toEqual([
      'reasoning-start',
      'reasoning-text-delta',
      'reasoning-text-delta',
      'reasoning-end',
      'text-start',
      'text-delta',
      'text-end',
      'reasoning-start',
      'reasoning-text-delta',
      'reasoning-end',
      'finish',
    ]);
    expect(
      events.filter((event) => event.type === 'reasoning-text-delta').map((event) => event.delta),
    ).toEqual(['Think', 'ing.', 'More?']);
  });

  it('ends the reasoning when a tool call starts, so the call is its own item after it', async () => {
    const events = await convert([
      delta({ reasoning_content: 'Need the weather.' }),
      delta({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'get_weather', arguments: '{}' } }] }),
      delta({}, 'tool_calls'),
    ]);

    expect(events.map((event) => event.type)).toEqual([
      'reasoning-start',
      'reasoning-text-delta',
      'reasoning-end',
      'tool-call-start',
      'tool-call-delta',
      'tool-call-end',
      'finish',
    ]);
  });

  it('takes the last usage seen, on choice chunks or a chunk without choices', async () => {
    const usage = (prompt: number, completion: number): Record<string, number> => ({
      prompt_tokens: prompt,
      completion_tokens: completion,
    });
    const events = await convert([
      { ...(delta({ content: 'a' }) as object), usage: usage(5, 1) },
      { ...(delta({}, 'stop') as object), usage: usage(5, 2) },
      { usage: { ...usage(5, 3), prompt_tokens_details: { cached_tokens: 4 } } },
    ]);

    expect(events.at(-1)).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: { inputTokens: 5, outputTokens: 3, cachedInputTokens: 4 },
    });
  });

  it("reads cache writes, and DeepSeek's prompt_cache_hit_tokens when prompt_tokens_details is absent", async () => {
    const written = await convert([
      delta({ content: 'a' }, 'stop'),
      {
        usage: { prompt_tokens: 50, completion_tokens: 1, prompt_tokens_details: { cache_write_tokens: 40 } },
      },
    ]);
    expect(written.at(-1)).toMatchObject({ usage: { inputTokens: 50, cacheWriteInputTokens: 40 } });

    const deepSeek = await convert([
      delta({ content: 'a' }, 'stop'),
      {
        usage: {
          prompt_tokens: 50,
          completion_tokens: 1,
          prompt_cache_hit_tokens: 32,
          prompt_cache_miss_tokens: 18,
        },
      },
    ]);
    expect(deepSeek.at(-1)).toMatchObject({ usage: { inputTokens: 50, cachedInputTokens: 32 } });
  });

  it('emits refusals as their own part', async () => {
    const events = await convert([delta({ refusal: "I can't " }), delta({ refusal: 'help.' }, 'stop')]);

    expect(events).toEqual([
      { type: 'refusal-start', id: 'refusal-0' },
      { type: 'refusal-delta', id: 'refusal-0', delta: "I can't " },
      { type: 'refusal-delta', id: 'refusal-0', delta: 'help.' },
      { type: 'refusal-end', id: 'refusal-0' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('rejects a chunk of the wrong shape', async () => {
    await expect(convert([{ choices: 'nope' }])).rejects.toThrow(/malformed chat\.completion\.chunk/);
  });
});

describe('chatCompletionToModelEvents', () => {
  it('accepts a lenient non-streaming reply: null content, `reasoning`, no ids, object arguments', () => {
    const events = chatCompletionToModelEvents(
      {
        choices: [
          {
            message: {
              role: 'assistant',
              content: null,
              reasoning: 'Need the weather.',
              tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }],
            },
          },
        ],
      },
      noShell,
    );

    expect(events).toEqual([
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-text-delta', id: 'reasoning-0', delta: 'Need the weather.' },
      { type: 'reasoning-end', id: 'reasoning-0', encryptedContent: null },
      { type: 'tool-call-start', id: 'call-0', callId: 'call_synthetic', name: 'get_weather' },
      { type: 'tool-call-delta', id: 'call-0', delta: '{"city":"Oslo"}' },
      { type: 'tool-call-end', id: 'call-0', arguments: '{"city":"Oslo"}' },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('reads reasoning_content as raw reasoning text, before the text', () => {
    const events = chatCompletionToModelEvents(
      {
        choices: [
          {
            message: { role: 'assistant', content: '42', reasoning_content: 'Six sevens are 42.' },
            finish_reason: 'stop',
          },
        ],
      },
      noShell,
    );

    expect(events).toEqual([
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-text-delta', id: 'reasoning-0', delta: 'Six sevens are 42.' },
      { type: 'reasoning-end', id: 'reasoning-0', encryptedContent: null },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: '42' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  it('keeps the text parts of Mistral-style content arrays', () => {
    const events = chatCompletionToModelEvents(
      {
        choices: [
          {
            message: {
              content: [
                { type: 'thinking', thinking: [] },
                { type: 'text', text: 'Bonjour' },
              ],
            },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 1 },
      },
      noShell,
    );

    expect(events).toEqual([
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Bonjour' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', reason: 'stop', usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
  });

  it('maps a call of the shell function to a shell call, invalid when its arguments do not fit', () => {
    const call = (id: string, argumentsText: string) => ({
      id,
      type: 'function',
      function: { name: 'shell', arguments: argumentsText },
    });
    const events = chatCompletionToModelEvents(
      {
        choices: [
          {
            message: {
              tool_calls: [
                call('call_a', '{"commands":["ls"],"timeout_ms":1000,"max_output_length":null}'),
                call('call_b', '{"command":"ls"}'),
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      { newCallId: () => 'call_synthetic', shellTool: true },
    );

    expect(events).toEqual([
      { type: 'shell-call-start', id: 'call-0', callId: 'call_a' },
      {
        type: 'shell-call-end',
        id: 'call-0',
        action: { commands: ['ls'], timeoutMs: 1000, maxOutputLength: null },
      },
      { type: 'shell-call-start', id: 'call-1', callId: 'call_b' },
      {
        type: 'shell-call-end',
        id: 'call-1',
        action: {
          commands: ['{"command":"ls"}'],
          timeoutMs: null,
          maxOutputLength: null,
          invalid: expect.stringContaining('"commands"') as string,
        },
      },
      { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });
});
