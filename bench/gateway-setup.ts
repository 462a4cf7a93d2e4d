import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startProcess, stopProcess } from './child-process.js';

/** The instant upstream and the config that points Berth at it, shared by the gateway benchmarks. */
export interface GatewayBench {
  /** The upstream's base URL (`…/v1`): the "direct" target. */
  readonly upstreamURL: string;
  /** Starts `berth serve` from `tree` (a checkout with `dist/` built) on a port of its own. */
  startBerth(
    tree: string,
    options?: {
      dataName?: string;
      nodeArgs?: readonly string[];
      /** Variables for the server besides PATH and HOME (`OTEL_*`). */
      environment?: NodeJS.ProcessEnv;
    },
  ): Promise<Berth>;
  /** Stops every Berth started here, the upstream, and removes the scratch directory. */
  close(): Promise<void>;
}

/** A running `berth serve`. */
export interface Berth {
  readonly child: ChildProcess;
  /** Its base URL (`…/v1`). */
  readonly url: string;
}

/**
 * Starts the instant loopback OpenAI Responses upstream (`instant-upstream.ts`) and writes a config
 * naming it provider `oai`; `extraConfig` is merged into that config (e.g. `{ sandbox: { driver: 'none' } }`).
 */
export async function startGatewayBench(
  prefix: string,
  extraConfig: Record<string, unknown> = {},
): Promise<GatewayBench> {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const upstream = await startProcess(
    process.execPath,
    ['--import', 'tsx', 'bench/instant-upstream.ts'],
    /upstream (\S+)/,
  );
  const upstreamURL = upstream.match[1] ?? '';
  const config = join(directory, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      providers: [{ name: 'oai', kind: 'openai', baseURL: upstreamURL, apiKey: 'bench', maxRetries: 0 }],
      ...extraConfig,
    }),
  );
  const started: ChildProcess[] = [];
  return {
    upstreamURL,
    async startBerth(tree, { dataName = 'data', nodeArgs = [], environment = {} } = {}) {
      const berth = await startBerthServe(tree, {
        config,
        dataDir: join(directory, dataName),
        home: directory,
        nodeArgs,
        environment,
      });
      started.push(berth.child);
      return berth;
    },
    async close() {
      for (const child of started) await stopProcess(child);
      await stopProcess(upstream.child);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `berth serve` from `tree` (a checkout with `dist/` built) on a port of its own, with `config`
 * and a new data directory, and resolves once it listens; stop it with `stopProcess(berth.child)`.
 */
export async function startBerthServe(
  tree: string,
  options: {
    readonly config: string;
    readonly dataDir: string;
    /** HOME for the server (a scratch directory). */
    readonly home: string;
    readonly nodeArgs?: readonly string[];
    /** Variables for the server besides PATH and HOME (`OTEL_*`). */
    readonly environment?: NodeJS.ProcessEnv;
  },
): Promise<Berth> {
  const berth = await startProcess(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      join(tree, 'bin/berth.js'),
      'serve',
      '--port',
      '0',
      '--config',
      options.config,
      '--data-dir',
      options.dataDir,
      // A new data directory needs --init since it was added; a baseline tree from before has none.
      ...(takesInit(tree) ? ['--init'] : []),
    ],
    /listening on (\S+)/,
    { PATH: process.env.PATH, HOME: options.home, ...options.environment },
  );
  return { child: berth.child, url: berth.match[1] ?? '' };
}

/** Whether the tree's `berth serve` has `--init` (a new data directory needs it from then on). */
function takesInit(tree: string): boolean {
  const options = join(tree, 'dist/cli/common-options.js');
  return existsSync(options) && readFileSync(options, 'utf8').includes("'--init'");
}
