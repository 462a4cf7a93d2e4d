// The Berth under test in bench:agent, in its own process (started by agent.ts with an IPC channel):
// the same `startRuntime` as `berth serve`, a SQLite store in a temporary data directory, the scripted
// upstream as provider `oai`, and containers on the driver named by the first argument (`auto` picks
// the machine's default, as `berth serve` does). It answers `{type:'close'}` — or a signal, or the
// benchmark going away — by closing and removing everything it made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxDriverName } from '../src/config/config-schema.js';
import {
  defaultBodyLimitBytes,
  defaultMetricsConfig,
  defaultFileMaxBytes,
  defaultNetworkConfig,
  defaultRequestsConfig,
  defaultSandboxConfig,
  defaultShutdownGraceMs,
} from '../src/config/load-config.js';
import { warningsOnlyLogger } from './warnings-logger.js';
import { startRuntime } from '../src/runtime/start-runtime.js';
import { mountsUnder, unmountAll } from '../src/sandbox/mounts.js';
import { sandboxRunDir } from '../src/sandbox/select-driver.js';
import type { BerthMessage } from './agent-ipc.js';

const [driver = 'auto', upstreamURL = ''] = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-agent-'));
const logger = warningsOnlyLogger();
const runtime = await startRuntime(
  {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    bodyLimitBytes: defaultBodyLimitBytes,
    shutdownGraceMs: defaultShutdownGraceMs,
    metrics: defaultMetricsConfig,
    providers: [{ name: 'oai', kind: 'openai', baseURL: upstreamURL, apiKey: 'bench', maxRetries: 0 }],
    defaultProvider: 'oai',
    files: { maxBytes: defaultFileMaxBytes },
    compaction: { keyFile: null },
    network: defaultNetworkConfig,
    requests: defaultRequestsConfig,
    hostedTools: { unsupported: 'ignore' },
    // No warm pool: the benchmark uses one container it creates, and a pool refilling in the
    // background would run host commands during the measurements.
    sandbox: { ...defaultSandboxConfig, driver: driver as SandboxDriverName | 'auto', warmPool: 0 },
  },
  { logger },
);

function send(message: BerthMessage): void {
  process.send?.(message);
}

let closing: Promise<string[]> | undefined;

/**
 * Closes the server (which stops every sandbox), then makes sure nothing is left: running sandboxes
 * and mounts under the run and data directories are removed by force. Resolves with what had to be.
 */
function close(): Promise<string[]> {
  closing ??= (async () => {
    const forced: string[] = [];
    await runtime.close().catch((error: unknown) => forced.push(`close: ${String(error)}`));
    const sandboxDriver = runtime.sandbox.driver;
    for (const id of (await sandboxDriver?.listRunning()) ?? []) {
      forced.push(`sandbox ${id} still running`);
      await sandboxDriver?.stop(id, '').catch(() => undefined);
    }
    const runDir = sandboxRunDir(dataDir);
    for (const dir of [runDir, dataDir]) {
      if (mountsUnder(dir).length === 0) continue;
      forced.push(...mountsUnder(dir).map((point) => `mount left: ${point}`));
      await unmountAll(dir);
    }
    if (mountsUnder(runDir).length + mountsUnder(dataDir).length === 0) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(runDir, { recursive: true, force: true });
    } else forced.push(`could not unmount everything; kept ${dataDir}`);
    return forced;
  })();
  return closing;
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'cpu') send({ type: 'cpu', ...process.cpuUsage() });
  if (message.type === 'close') {
    void close().then((forced) => {
      send({ type: 'closed', forced });
      process.disconnect();
      process.exit(0);
    });
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void close().finally(() => process.exit(130)));
}
process.on('disconnect', () => void close().finally(() => process.exit(0)));
send({ type: 'ready', url: runtime.url, driver: runtime.sandbox.reason });
