import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exited,
  InMemoryShellHost,
  sleepUnlessInterrupted,
  type ShellScript,
} from '../../test/support/in-memory-shell-host.js';
import {
  functionCallTurn,
  ScriptedModelProvider,
  shellCallTurn,
  textTurn,
  type ScriptedModelTurn,
} from '../../test/support/scripted-model-provider.js';
import { systemClock } from '../clock.js';
import type { CommandResult } from '../containers/shell-host.js';
import { createRandomIdGenerator } from '../ids.js';
import { silentLogger } from '../logger.js';
import { createProviderRegistry } from '../providers/provider-registry.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { createCompactionSealer, generateCompactionKey } from './compaction/compaction-sealer.js';
import type { ResponseRun } from './response-run.js';
import { ResponseService } from './response-service.js';

const projectId = 'proj_test';
const model = 'scripted/model-1';
const autoShell = { type: 'shell', environment: { type: 'container_auto' } };

type Item = Record<string, unknown> & { type: string; call_id?: string };
type ShellOutputItem = Item & { status: string; output: CommandResult[] };

/** The run's events, each as its type (and, for item events, the item's type). */
function eventOutline(run: ResponseRun): string[] {
  return run.events.map((event) => {
    const item = event.item as Item | undefined;
    return item ? `${event.type} ${item.type}` : event.type;
  });
}

function outputOf(run: ResponseRun): Item[] {
  return run.body.output as Item[];
}

function shellOutputs(run: ResponseRun): ShellOutputItem[] {
  return outputOf(run).filter((item): item is ShellOutputItem => item.type === 'shell_call_output');
}

/** A promise with its resolve function, to let a test wait for a script to reach a point. */
function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

/**
 * The tool loop, end to end inside the engine: a scripted model, an in-memory shell host and a real
 * SQLite store, no HTTP server and no container.
 */
describe('the tool loop', () => {
  let directory: string;
  let store: Store;
  let provider: ScriptedModelProvider;
  let host: InMemoryShellHost;
  let service: ResponseService;
  /** What the host's shell does with each command; tests replace it. */
  let script: ShellScript;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'berth-tool-loop-'));
    store = await openSqliteStore(join(directory, 'berth.sqlite'));
    provider = new ScriptedModelProvider();
    script = (command, context) => {
      if (command === 'pwd') return exited(`${context.session.cwd}\n`);
      if (command.startsWith('echo ')) return exited(`${command.slice(5)}\n`);
      return exited('', 127, `${command}: command not found\n`);
    };
    host = new InMemoryShellHost({
      script: (command, context) => script(command, context),
      commandTimeoutMs: 5_000,
    });
    service = new ResponseService({
      store,
      providers: createProviderRegistry([provider], provider.name),
      compactionSealer: createCompactionSealer(generateCompactionKey()),
      ids: createRandomIdGenerator(),
      clock: systemClock,
      logger: silentLogger,
      containers: host,
    });
  });

  afterEach(async () => {
    await service.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** Starts a streamed response with a hosted shell; the model answers with `turns`. */
  async function start(body: Record<string, unknown>, ...turns: ScriptedModelTurn[]): Promise<ResponseRun> {
    provider.script(...turns);
    return service.create(projectId, {
      model,
      input: 'Do the work.',
      tools: [autoShell],
      stream: true,
      ...body,
    });
  }

  async function respond(body: Record<string, unknown>, ...turns: ScriptedModelTurn[]): Promise<ResponseRun> {
    const run = await start(body, ...turns);
    await run.finished;
    return run;
  }

  it('runs the calls between turns, in output order, and shows the next turn their outputs', async () => {
    const run = await respond({}, shellCallTurn(['echo hi', 'pwd']), textTurn('All done.'));

    expect(run.body.status).toBe('completed');
    expect(host.commands.map((command) => command.command)).toEqual(['echo hi', 'pwd']);
    const [call, output, message] = outputOf(run);
    expect([call?.type, output?.type, message?.type]).toEqual(['shell_call', 'shell_call_output', 'message']);
    expect(output?.call_id).toBe(call?.call_id);
    expect(shellOutputs(run)[0]?.output).toEqual([exited('hi\n'), exited('/mnt/data\n')]);
    expect(shellOutputs(run)[0]?.status).toBe('completed');

    expect(eventOutline(run)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added shell_call',
      'response.shell_call_command.added',
      'response.shell_call_command.delta',
      'response.shell_call_command.done',
      'response.shell_call_command.added',
      'response.shell_call_command.delta',
      'response.shell_call_command.done',
      'response.output_item.done shell_call',
      'response.output_item.added shell_call_output',
      'response.shell_call_output_content.delta',
      'response.shell_call_output_content.done',
      'response.shell_call_output_content.delta',
      'response.shell_call_output_content.done',
      'response.output_item.done shell_call_output',
      'response.output_item.added message',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done message',
      'response.completed',
    ]);
    expect(run.events.map((event) => event.sequence_number)).toEqual(run.events.map((_, index) => index));

    // The second turn is asked with the call and its output after the input.
    expect(provider.requests).toHaveLength(2);
    const secondInput = (provider.requests[1]?.input ?? []) as Item[];
    expect(secondInput.map((item) => item.type)).toEqual(['message', 'shell_call', 'shell_call_output']);

    // Every command is in the tool-call log, in order.
    const log = await store.toolCalls.listToolCalls(projectId, run.id, { limit: 20, order: 'asc' });
    expect(log.data.map((entry) => [entry.command, entry.outcome])).toEqual([
      ['echo hi', { type: 'exit', exitCode: 0 }],
      ['pwd', { type: 'exit', exitCode: 0 }],
    ]);
  });

  it('builds the same output without streaming, and keeps no events', async () => {
    const run = await respond({ stream: false }, shellCallTurn(['echo quiet']), textTurn('Done.'));

    expect(run.body.status).toBe('completed');
    expect(outputOf(run).map((item) => item.type)).toEqual(['shell_call', 'shell_call_output', 'message']);
    expect(shellOutputs(run)[0]?.output).toEqual([exited('quiet\n')]);
    expect(run.events).toEqual([]);
  });

  it("sums every turn's usage, cache reads and writes included, and keeps the cache settings each turn", async () => {
    const shellTurn = shellCallTurn(['echo hi']).slice(0, -1);
    const firstUsage = {
      inputTokens: 2000,
      outputTokens: 20,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 1800,
    };
    const secondUsage = {
      inputTokens: 2100,
      outputTokens: 10,
      cachedInputTokens: 1800,
      cacheWriteInputTokens: 250,
    };
    const run = await respond(
      { prompt_cache_key: 'loop-1', prompt_cache_retention: '24h' },
      [...shellTurn, { type: 'finish' as const, reason: 'tool_calls' as const, usage: firstUsage }],
      textTurn('Done.', 'stop', secondUsage),
    );

    expect(run.body.usage).toEqual({
      input_tokens: 4100,
      input_tokens_details: { cached_tokens: 1800, cache_write_tokens: 2050 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 4130,
    });
    expect(provider.requests.map((request) => request.promptCache)).toEqual([
      { key: 'loop-1', retention: '24h' },
      { key: 'loop-1', retention: '24h' },
    ]);
  });

  it('ends the response for a function call the client must run, after running the shell calls', async () => {
    const turn = [...shellCallTurn(['echo first']).slice(0, -1), ...functionCallTurn('lookup', '{}')];
    const run = await respond({ tools: [autoShell, { type: 'function', name: 'lookup' }] }, turn);

    expect(run.body.status).toBe('completed');
    expect(outputOf(run).map((item) => item.type)).toEqual([
      'shell_call',
      'function_call',
      'shell_call_output',
    ]);
    expect(provider.requests).toHaveLength(1);
  });

  it('answers calls past max_tool_calls without running them, and tells the model to stop using tools', async () => {
    const run = await respond(
      { max_tool_calls: 1 },
      shellCallTurn(['echo a'], ['echo b']),
      // The model ignores `tool_choice: none`; the loop ends anyway.
      shellCallTurn(['echo c']),
    );

    expect(run.body.status).toBe('completed');
    expect(host.commands.map((command) => command.command)).toEqual(['echo a']);
    const [ran, refused, refusedLater] = shellOutputs(run);
    expect(ran?.output).toEqual([exited('a\n')]);
    for (const output of [refused, refusedLater]) {
      expect(output?.output).toEqual([
        exited('', 126, '[berth] not run: this response reached max_tool_calls (1).\n'),
      ]);
    }
    expect(provider.requests.map((request) => request.toolChoice)).toEqual([null, 'none']);
  });

  it('interrupts the running command when the response is cancelled, and runs nothing after it', async () => {
    const started = signalled();
    script = async (command, context) => {
      if (command !== 'sleep 600') return exited('');
      context.write('stdout', 'working\n');
      started.resolve();
      await sleepUnlessInterrupted(600_000, context.signal);
      return exited('finished\n');
    };
    const run = await start({}, shellCallTurn(['sleep 600', 'echo after']), textTurn('never asked'));
    await started.promise;
    run.stop('cancel');
    await run.finished;

    expect(run.body.status).toBe('cancelled');
    expect(host.commands.map((command) => command.command)).toEqual(['sleep 600']);
    const [output] = shellOutputs(run);
    // SIGINT's status, with what it wrote before; the command after it never ran.
    expect(output?.output).toEqual([exited('working\n', 130)]);
    expect(output?.status).toBe('incomplete');
    expect(provider.requests).toHaveLength(1);
    expect(eventOutline(run).at(-1)).toBe('response.failed');
    expect(run.events.at(-1)?.response).toMatchObject({ status: 'cancelled' });
    // Every item that was added is done.
    const added = eventOutline(run).filter((type) => type.startsWith('response.output_item.added'));
    const done = eventOutline(run).filter((type) => type.startsWith('response.output_item.done'));
    expect(done.map((type) => type.split(' ')[1])).toEqual(added.map((type) => type.split(' ')[1]));
  });

  it('answers a call whose commands the host could not run with an output that says why', async () => {
    script = (command) => {
      if (command === 'explode') throw new Error('the disk is on fire');
      return exited('');
    };
    const run = await respond({}, shellCallTurn(['explode', 'echo after']), textTurn('I see.'));

    expect(run.body.status).toBe('completed');
    const [output] = shellOutputs(run);
    const why = exited('', 126, '[berth] could not run: the disk is on fire\n');
    expect(output?.output).toEqual([why, why]);
    expect(output?.status).toBe('completed');
    // The model is shown why, and answers.
    expect(JSON.stringify(provider.requests[1]?.input)).toContain('could not run: the disk is on fire');
    expect(outputOf(run).at(-1)?.type).toBe('message');
  });

  it('says so when the container expired between turns', async () => {
    const { id: containerId } = await host.create(projectId, {
      name: 'kept',
      expiresAfterMinutes: 20,
      memoryLimit: '1g',
      fileIds: [],
    });
    const run = await respond(
      { tools: [{ type: 'shell', environment: { type: 'container_reference', container_id: containerId } }] },
      shellCallTurn(['echo one']),
      () => {
        host.expire(containerId);
        return shellCallTurn(['echo two']);
      },
      textTurn('The container is gone.'),
    );

    expect(run.body.status).toBe('completed');
    const [first, second] = shellOutputs(run);
    expect(first?.output).toEqual([exited('one\n')]);
    expect(second?.output).toEqual([
      exited('', 126, `[berth] could not run: Container '${containerId}' has expired; its files are gone.\n`),
    ]);
  });

  it('reports a command past its timeout as a timeout, and goes on', async () => {
    script = async (command, context) => {
      context.write('stdout', 'started\n');
      await sleepUnlessInterrupted(600_000, context.signal);
      return exited('never\n');
    };
    const run = await respond(
      {},
      shellCallTurn({ commands: ['sleep 600'], timeoutMs: 20 }),
      textTurn('It timed out.'),
    );

    expect(run.body.status).toBe('completed');
    expect(host.commands[0]?.timeoutMs).toBe(20);
    expect(shellOutputs(run)[0]?.output).toEqual([
      { stdout: 'started\n', stderr: '', outcome: { type: 'timeout' } },
    ]);
    const log = await store.toolCalls.listToolCalls(projectId, run.id, { limit: 20, order: 'asc' });
    expect(log.data[0]?.outcome).toEqual({ type: 'timeout' });
  });

  it('gives a call without a timeout the host’s default', async () => {
    await respond({}, shellCallTurn(['echo x']), textTurn('ok'));
    expect(host.commands[0]?.timeoutMs).toBe(host.commandTimeoutMs);
  });
});
