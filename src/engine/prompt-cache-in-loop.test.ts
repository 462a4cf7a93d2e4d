import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakpointsOf, toolLoopBreakpoints } from '../../test/support/cache-breakpoints.js';
import { startFakeAnthropicUpstream } from '../../test/support/fake-anthropic-upstream.js';
import { exited, InMemoryShellHost } from '../../test/support/in-memory-shell-host.js';
import type { FakeUpstream } from '../../test/support/scripted-turn.js';
import { systemClock } from '../clock.js';
import { createRandomIdGenerator } from '../ids.js';
import { silentLogger } from '../logger.js';
import { createAnthropicProvider } from '../providers/anthropic/anthropic-provider.js';
import { createProviderRegistry } from '../providers/provider-registry.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { createCompactionSealer, generateCompactionKey } from './compaction/compaction-sealer.js';
import { ResponseService } from './response-service.js';

type Json = Record<string, unknown>;

/**
 * A hosted-shell loop inside one response, against the real Anthropic adapter and the fake upstream's
 * emulated prompt cache: every turn after the first reads what the turn before wrote, and the
 * response's usage sums the turns' cache reads and writes.
 */
describe('prompt caching in the hosted-shell loop', () => {
  let directory: string;
  let store: Store;
  let upstream: FakeUpstream;
  let service: ResponseService;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'berth-cache-loop-'));
    store = await openSqliteStore(join(directory, 'berth.sqlite'));
    upstream = await startFakeAnthropicUpstream();
    const provider = createAnthropicProvider({
      name: 'claude',
      baseURL: upstream.baseURL,
      apiKey: 'k',
      maxRetries: 0,
    });
    service = new ResponseService({
      store,
      providers: createProviderRegistry([provider], provider.name),
      compactionSealer: createCompactionSealer(generateCompactionKey()),
      ids: createRandomIdGenerator(),
      clock: systemClock,
      logger: silentLogger,
      containers: new InMemoryShellHost({
        script: (command) => exited(`${command.replace(/^echo /, '')}\n`),
        commandTimeoutMs: 5_000,
      }),
    });
  });

  afterEach(async () => {
    await service.close();
    await store.close();
    await upstream.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads the previous turn from the cache on every later turn, and sums the counts', async () => {
    upstream.script(
      { shellCalls: [{ commands: ['echo one'] }] },
      { shellCalls: [{ commands: ['echo two'] }] },
      { text: 'Both printed.' },
    );
    const run = await service.create('proj_test', {
      model: 'claude/claude-sonnet-5-5',
      instructions: 'You run commands carefully and report what they print. '.repeat(120),
      input: 'Print one, then two.',
      tools: [{ type: 'shell', environment: { type: 'container_auto' } }],
    });
    await run.finished;

    expect(run.body.status).toBe('completed');
    const bodies = upstream.requests.map((request) => request.body as Json);
    expect(bodies.map(breakpointsOf)).toEqual(toolLoopBreakpoints);
    const usage = run.body.usage as {
      input_tokens: number;
      input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
    };
    const { cached_tokens: read, cache_write_tokens: written } = usage.input_tokens_details;
    // Turn 1 writes the instructions and the question; turns 2 and 3 read all of it back and write
    // only what they add, so over the loop more is read at 0.1x than is written at 1.25x.
    expect(written).toBeGreaterThanOrEqual(1024);
    expect(read).toBeGreaterThan(written);
    expect(usage.input_tokens).toBeGreaterThanOrEqual(read + written);
  });
});
