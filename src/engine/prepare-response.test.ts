import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedModelProvider, textTurn } from '../../test/support/scripted-model-provider.js';
import { systemClock } from '../clock.js';
import { BerthError } from '../errors/berth-error.js';
import { createRandomIdGenerator } from '../ids.js';
import { silentLogger } from '../logger.js';
import { createProviderRegistry } from '../providers/provider-registry.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { createCompactionSealer, generateCompactionKey } from './compaction/compaction-sealer.js';
import { prepareResponse, toModelRequest, type PrepareDependencies } from './prepare-response.js';
import type { ResponseCreateParams } from './response-create-params.js';
import { createResponseBody } from './response-object.js';
import { ResponseService } from './response-service.js';

const projectId = 'proj_test';
const model = 'scripted/model-1';

/** Message texts of a model request's input, in order (`role: text`). */
function texts(input: readonly unknown[]): string[] {
  return input.map((entry) => {
    const item = entry as { role?: string; content?: string | { text?: string }[] };
    const content =
      typeof item.content === 'string'
        ? item.content
        : (item.content ?? []).map((part) => part.text).join('');
    return `${item.role}: ${content}`;
  });
}

/** The BerthError `work` rejects with (failing the test if it resolves or throws anything else). */
async function refusal(work: Promise<unknown>): Promise<BerthError> {
  const error: unknown = await work.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(BerthError);
  return error as BerthError;
}

describe('prepareResponse', () => {
  let directory: string;
  let store: Store;
  let provider: ScriptedModelProvider;
  let dependencies: PrepareDependencies;
  let service: ResponseService;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'berth-prepare-'));
    store = await openSqliteStore(join(directory, 'berth.sqlite'));
    provider = new ScriptedModelProvider();
    dependencies = {
      store,
      providers: createProviderRegistry([provider], provider.name),
      ids: createRandomIdGenerator(),
      compactionSealer: createCompactionSealer(generateCompactionKey()),
    };
    service = new ResponseService({ ...dependencies, store, clock: systemClock, logger: silentLogger });
  });

  afterEach(async () => {
    await service.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const prepare = (params: Omit<ResponseCreateParams, 'model'>) =>
    prepareResponse({ model, ...params }, projectId, dependencies);

  /** Runs a response to its end through the service and returns its id. */
  async function respond(body: Record<string, unknown>, answer: string): Promise<string> {
    provider.script(textTurn(answer));
    const run = await service.create(projectId, { model, ...body });
    await run.finished;
    expect(run.body.status).toBe('completed');
    return run.id;
  }

  it('loads the whole previous_response_id chain, oldest first, before the new input', async () => {
    const first = await respond({ input: 'first question' }, 'first answer');
    const second = await respond({ input: 'second question', previous_response_id: first }, 'second answer');

    const prepared = await prepare({ input: 'third question', previous_response_id: second });

    expect(prepared.contextItems.map((entry) => entry.item.type)).toEqual([
      'message',
      'message',
      'message',
      'message',
    ]);
    expect(texts(toModelRequest(prepared).input)).toEqual([
      'user: first question',
      'assistant: first answer',
      'user: second question',
      'assistant: second answer',
      'user: third question',
    ]);
    // The model saw the same chain when the second response ran.
    expect(texts(provider.requests[1]?.input ?? [])).toEqual([
      'user: first question',
      'assistant: first answer',
      'user: second question',
    ]);
  });

  it('does not carry instructions over from the previous response', async () => {
    const first = await respond({ input: 'Hi', instructions: 'Answer in French.' }, 'Bonjour');

    const without = await prepare({ input: 'Again', previous_response_id: first });
    expect(toModelRequest(without).instructions).toBeNull();
    const replaced = await prepare({
      input: 'Again',
      previous_response_id: first,
      instructions: 'Answer in German.',
    });
    expect(toModelRequest(replaced).instructions).toBe('Answer in German.');
    expect(JSON.stringify(toModelRequest(replaced).input)).not.toContain('French');
  });

  it("gives the provider the client's cache key and retention, in the API's spelling", async () => {
    expect(toModelRequest(await prepare({ input: 'Hi' })).promptCache).toEqual({
      key: null,
      retention: null,
    });
    const keyed = await prepare({
      input: 'Hi',
      prompt_cache_key: 'session-1',
      prompt_cache_retention: '24h',
    });
    expect(toModelRequest(keyed).promptCache).toEqual({ key: 'session-1', retention: '24h' });
    const older = await prepare({ input: 'Hi', prompt_cache_retention: 'in-memory' });
    expect(toModelRequest(older).promptCache).toEqual({ key: null, retention: 'in_memory' });
  });

  it('records nothing of a store:false response, so nothing can continue from it', async () => {
    provider.script(textTurn('not kept'));
    const run = await service.create(projectId, { model, input: 'Hi', store: false });
    await run.finished;
    expect(run.body.status).toBe('completed');
    expect(run.recorded).toBe(false);
    expect(await store.responses.getResponse(projectId, run.id)).toBeUndefined();

    const error = await refusal(prepare({ input: 'Again', previous_response_id: run.id }));
    expect(error.code).toBe('previous_response_not_found');
    expect(error.param).toBe('previous_response_id');
  });

  it('does not find another project’s response', async () => {
    const first = await respond({ input: 'Hi' }, 'Hello');
    const error = await refusal(
      prepareResponse({ model, input: 'Again', previous_response_id: first }, 'proj_other', dependencies),
    );
    expect(error.code).toBe('previous_response_not_found');
  });

  it('refuses previous_response_id together with conversation', async () => {
    const first = await respond({ input: 'Hi' }, 'Hello');
    const error = await refusal(
      prepare({ input: 'Again', previous_response_id: first, conversation: 'conv_1' }),
    );
    expect(error.code).toBe('invalid_value');
    expect(error.param).toBe('conversation');
  });

  it('continues a conversation from its items, and 404s an unknown one', async () => {
    await store.conversations.createConversation({ id: 'conv_1', projectId, createdAt: 0, metadata: {} }, [
      {
        id: 'msg_1',
        item: {
          id: 'msg_1',
          type: 'message',
          role: 'user',
          status: 'completed',
          content: [{ type: 'input_text', text: 'earlier' }],
        },
      },
    ]);
    const prepared = await prepare({ input: 'now', conversation: 'conv_1' });
    expect(prepared.conversationId).toBe('conv_1');
    expect(texts(toModelRequest(prepared).input)).toEqual(['user: earlier', 'user: now']);

    const error = await refusal(prepare({ input: 'now', conversation: { id: 'conv_missing' } }));
    expect(error.code).toBe('not_found');
    expect(error.param).toBe('conversation');
  });

  it('refuses a background response that is not stored', async () => {
    const error = await refusal(prepare({ input: 'Hi', background: true, store: false }));
    expect(error.param).toBe('store');
  });

  describe('tools', () => {
    const shell = { type: 'shell', environment: { type: 'local' } };
    const fn = (name: string) => ({ type: 'function', name, parameters: { type: 'object' } });

    it('keeps function tools and the one shell tool apart', async () => {
      const prepared = await prepare({ input: 'Hi', tools: [fn('lookup'), shell] });
      expect(prepared.tools.map((tool) => tool.name)).toEqual(['lookup']);
      expect(prepared.shellTool?.index).toBe(1);
      const request = toModelRequest(prepared);
      expect(request.shellTool).toBe(true);
      expect(request.tools.map((tool) => tool.name)).toEqual(['lookup']);
    });

    const custom = (name: string) => ({
      type: 'custom',
      name,
      format: { type: 'grammar', syntax: 'regex', definition: '^[a-z]+$' },
    });

    it('keeps custom tools beside functions in request order, and echoes every tool in it', async () => {
      const prepared = await prepare({
        input: 'Hi',
        tools: [custom('words'), shell, fn('lookup'), { type: 'custom', name: 'note' }],
      });
      expect(prepared.tools.map((tool) => [tool.type, tool.name])).toEqual([
        ['custom', 'words'],
        ['function', 'lookup'],
        ['custom', 'note'],
      ]);
      // Without a format the input is free text, as OpenAI echoes it.
      expect(prepared.tools[2]).toEqual({ type: 'custom', name: 'note', format: { type: 'text' } });
      const body = createResponseBody(prepared, 'resp_1', 0, 'in_progress');
      expect((body.tools as { type: string }[]).map((tool) => tool.type)).toEqual([
        'custom',
        'shell',
        'function',
        'custom',
      ]);
    });

    it.each([
      ['a second shell tool', [shell, shell], 'invalid_value', 'tools[1]'],
      ['a custom tool named like a function', [fn('f'), custom('f')], 'invalid_value', 'tools[1].name'],
      ['a function named like a custom tool', [custom('f'), fn('f')], 'invalid_value', 'tools[1].name'],
      ['two custom tools of one name', [custom('f'), custom('f')], 'invalid_value', 'tools[1].name'],
      ['a custom tool named like the shell beside it', [shell, custom('bash')], 'invalid_value', 'tools'],
      ['a custom tool name with spaces', [custom('two words')], 'invalid_value', 'tools[0].name'],
      [
        'a tool type OpenAI does not define',
        [{ type: 'no_such_tool' }],
        'unsupported_parameter',
        'tools[0].type',
      ],
      ['a function named like the shell beside it', [shell, fn('shell')], 'invalid_value', 'tools'],
      ['a function name with spaces', [fn('look up')], 'invalid_value', 'tools[0].name'],
    ])('refuses %s', async (_case, tools, code, param) => {
      const error = await refusal(prepare({ input: 'Hi', tools }));
      expect(error.code).toBe(code);
      expect(error.param).toBe(param);
    });

    it('refuses a custom tool_choice naming no custom tool', async () => {
      const error = await refusal(
        prepare({ input: 'Hi', tools: [fn('lookup')], tool_choice: { type: 'custom', name: 'lookup' } }),
      );
      expect(error.param).toBe('tool_choice');
    });

    it('refuses a tool_choice naming the shell when there is no shell tool', async () => {
      const error = await refusal(
        prepare({ input: 'Hi', tools: [fn('lookup')], tool_choice: { type: 'shell' } }),
      );
      expect(error.param).toBe('tool_choice');
    });
  });
});
