import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Clock } from '../../src/clock.js';
import type {
  BerthConfig,
  HostedToolsConfig,
  MetricsConfig,
  RequestsConfig,
  NetworkConfig,
  SandboxConfig,
} from '../../src/config/config-schema.js';
import {
  defaultBodyLimitBytes,
  defaultMetricsConfig,
  defaultFileMaxBytes,
  defaultNetworkConfig,
  defaultRequestsConfig,
  defaultSandboxConfig,
  defaultShutdownGraceMs,
} from '../../src/config/load-config.js';
import type { Logger } from '../../src/logger.js';
import { startRuntime, type Runtime } from '../../src/runtime/start-runtime.js';
import { startFakeAnthropicUpstream } from './fake-anthropic-upstream.js';
import { startFakeChatCompletionsUpstream } from './fake-chat-completions-upstream.js';
import { startFakeOpenAIResponsesUpstream } from './fake-openai-responses-upstream.js';
import type { FakeUpstream } from './scripted-turn.js';

/** The provider names the test server configures, one per provider kind. */
export const testProviders = [
  { name: 'oai', kind: 'openai', model: 'oai/gpt-5' },
  { name: 'local', kind: 'openai-chat', model: 'local/llama3.2' },
  { name: 'claude', kind: 'anthropic', model: 'claude/claude-sonnet-5-5' },
] as const;

export type TestProviderName = (typeof testProviders)[number]['name'];

/** A real Berth server on loopback, with a real SQLite file and one fake upstream per provider kind. */
export interface TestBerth {
  readonly runtime: Runtime;
  readonly baseURL: string;
  readonly dataDir: string;
  readonly upstreams: Readonly<Record<TestProviderName, FakeUpstream>>;
  /** An official `openai` client pointed at Berth, with retries off so each call is one request. */
  client(apiKey?: string): OpenAI;
  /** Stops the server but keeps the data directory and the upstreams (for restart tests). */
  stopServer(): Promise<void>;
  /** Starts a new server on the same data directory and upstreams. */
  restart(): Promise<TestBerth>;
  close(): Promise<void>;
}

export interface TestBerthOptions {
  readonly dataDir?: string;
  readonly bodyLimitBytes?: number;
  /** `files.maxBytes`: the largest upload accepted. */
  readonly fileMaxBytes?: number;
  /** How requests are read, over the defaults (unknown parameters rejected). */
  readonly requests?: Partial<RequestsConfig>;
  /** Hosted tools on kinds that cannot run them, over the default (`ignore`). */
  readonly hostedTools?: Partial<HostedToolsConfig>;
  /** The runtime's clock (the system clock by default). */
  readonly clock?: Clock;
  /** Where the runtime logs (nowhere by default). */
  readonly logger?: Logger;
  readonly upstreams?: Readonly<Record<TestProviderName, FakeUpstream>>;
  /** Container settings over the defaults (driver `none`, no warm pool). */
  readonly sandbox?: Partial<SandboxConfig>;
  /** `/metrics` over the defaults (served, no token). */
  readonly metrics?: Partial<MetricsConfig>;
  /** The egress ceiling over the defaults (every public host, nothing private). */
  readonly network?: Partial<NetworkConfig>;
}

export async function startTestBerth(options: TestBerthOptions = {}): Promise<TestBerth> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-test-'));
  const upstreams = options.upstreams ?? {
    oai: await startFakeOpenAIResponsesUpstream(),
    local: await startFakeChatCompletionsUpstream(),
    claude: await startFakeAnthropicUpstream(),
  };
  const config: BerthConfig = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    bodyLimitBytes: options.bodyLimitBytes ?? defaultBodyLimitBytes,
    shutdownGraceMs: defaultShutdownGraceMs,
    metrics: { ...defaultMetricsConfig, ...options.metrics },
    providers: testProviders.map((provider) => ({
      name: provider.name,
      kind: provider.kind,
      baseURL: upstreams[provider.name].baseURL,
      apiKey: 'upstream-test-key',
      maxRetries: 0,
    })),
    defaultProvider: 'oai',
    files: { maxBytes: options.fileMaxBytes ?? defaultFileMaxBytes },
    requests: { ...defaultRequestsConfig, ...options.requests },
    hostedTools: { unsupported: 'ignore', ...options.hostedTools },
    compaction: { keyFile: null },
    network: { ...defaultNetworkConfig, ...options.network },
    // Containers are off unless a test asks for a driver: most tests never start a sandbox.
    sandbox: { ...defaultSandboxConfig, driver: 'none', warmPool: 0, ...options.sandbox },
  };
  const runtime = await startRuntime(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let stopped = false;
  const berth: TestBerth = {
    runtime,
    baseURL: runtime.url,
    dataDir,
    upstreams,
    client: (apiKey = 'no-key-needed') => new OpenAI({ baseURL: runtime.url, apiKey, maxRetries: 0 }),
    async stopServer() {
      stopped = true;
      await runtime.close();
    },
    restart: () => startTestBerth({ ...options, dataDir, upstreams }),
    async close() {
      if (!stopped) await runtime.close();
      if (!options.upstreams) await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return berth;
}
