import { inParallel } from '../src/in-parallel.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxConfig, SandboxDriverName } from '../src/config/config-schema.js';
import {
  defaultBodyLimitBytes,
  defaultMetricsConfig,
  defaultFileMaxBytes,
  defaultNetworkConfig,
  defaultRequestsConfig,
  defaultSandboxConfig,
  defaultShutdownGraceMs,
} from '../src/config/load-config.js';
import { memoryLimits } from '../src/containers/container-object.js';
import { createRandomIdGenerator } from '../src/ids.js';
import { warningsOnlyLogger } from './warnings-logger.js';
import { startRuntime, type Runtime } from '../src/runtime/start-runtime.js';
import { unmountAll } from '../src/sandbox/mounts.js';
import { resolveImage } from '../src/sandbox/resolve-image.js';
import type { Sandbox } from '../src/sandbox/sandbox-driver.js';
import { sandboxRunDir } from '../src/sandbox/select-driver.js';
import { postJson } from './load.js';

interface ExecOutput {
  readonly stdout: string;
  readonly outcome: { readonly type: string; readonly exit_code?: number };
}

/**
 * A real Berth (the same `startRuntime` as `berth serve`, in this process) on one sandbox driver, with
 * a temporary data directory, that remembers every container and sandbox the benchmark made so
 * `close()` removes them all, even after a failure.
 */
export class SandboxBerth {
  readonly #created = new Set<string>();
  readonly #directSandboxes = new Map<string, () => Promise<void>>();
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  #closing: Promise<string[]> | undefined;

  private constructor(
    readonly runtime: Runtime,
    readonly dataDir: string,
    readonly config: SandboxConfig,
  ) {}

  static async start(driver: SandboxDriverName, sandbox: Partial<SandboxConfig>): Promise<SandboxBerth> {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-sandbox-'));
    const config = { ...defaultSandboxConfig, driver, ...sandbox };
    const logger = warningsOnlyLogger();
    const runtime = await startRuntime(
      {
        host: '127.0.0.1',
        port: 0,
        dataDir,
        bodyLimitBytes: defaultBodyLimitBytes,
        shutdownGraceMs: defaultShutdownGraceMs,
        metrics: defaultMetricsConfig,
        providers: [],
        defaultProvider: null,
        files: { maxBytes: defaultFileMaxBytes },
        compaction: { keyFile: null },
        network: defaultNetworkConfig,
        requests: defaultRequestsConfig,
        hostedTools: { unsupported: 'ignore' },
        sandbox: config,
      },
      { logger },
    );
    return new SandboxBerth(runtime, dataDir, config);
  }

  get url(): string {
    return this.runtime.url;
  }

  /** `POST /v1/containers`; the container is remembered for `close()`. */
  async create(): Promise<string> {
    const response = await postJson(this.#agent, new URL(`${this.url}/containers`), '{"name":"bench"}');
    const text = response.body.toString('utf8');
    if (response.status !== 200) throw new Error(`create answered ${response.status}: ${text}`);
    const { id } = JSON.parse(text) as { id: string };
    this.#created.add(id);
    return id;
  }

  /** `POST /v1/containers/{id}/exec` with one command; resolves with its stdout, throws unless exit 0. */
  async exec(id: string, command: string, session = 'default'): Promise<string> {
    const response = await postJson(
      this.#agent,
      new URL(`${this.url}/containers/${id}/exec`),
      JSON.stringify({ commands: [command], session }),
    );
    const text = response.body.toString('utf8');
    const output =
      response.status === 200 ? (JSON.parse(text) as { output: ExecOutput[] }).output[0] : undefined;
    if (output?.outcome.exit_code !== 0) throw new Error(`exec answered ${response.status}: ${text}`);
    return output.stdout;
  }

  /** `DELETE /v1/containers/{id}`. */
  async delete(id: string): Promise<void> {
    const response = await fetch(`${this.url}/containers/${id}`, { method: 'DELETE' });
    await response.arrayBuffer();
    if (response.status !== 200 && response.status !== 404) {
      throw new Error(`delete ${id} answered ${response.status}`);
    }
    this.#created.delete(id);
  }

  /** Containers created and not deleted yet. */
  get containers(): string[] {
    return [...this.#created];
  }

  /** Resolves when the warm pool holds `warmPool` started sandboxes. */
  async poolFull(timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.runtime.containers.pooledSandboxes < this.config.warmPool) {
      if (Date.now() > deadline) throw new Error('the warm pool did not fill (see the server log)');
      await sleep(10);
    }
  }

  /**
   * A sandbox started straight through the server's own driver, with a container's settings, outside
   * the Containers API: for the in-process round trip and the driver's exec baseline. `stop` removes
   * it (and `close()` does if `stop` was never reached).
   */
  async startDirectSandbox(): Promise<{ sandbox: Sandbox; stop: () => Promise<void> }> {
    const driver = this.runtime.sandbox.driver;
    if (!driver) throw new Error('containers are off');
    const id = createRandomIdGenerator().next('cntr');
    const dir = `${this.dataDir}/bench-direct/${id}`;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stop = async () => {
      this.#directSandboxes.delete(id);
      await driver.stop(id, dir);
    };
    this.#directSandboxes.set(id, stop);
    const sandbox = await driver.start({
      id,
      dir,
      image: await resolveImage(this.dataDir, this.config.image),
      limits: {
        memoryBytes: memoryLimits['1g'],
        pids: this.config.pidsLimit,
        cpus: this.config.cpus,
        diskBytes: this.config.diskBytes,
      },
    });
    return { sandbox, stop };
  }

  /**
   * Deletes every container made (`concurrency` at a time), stops the direct sandboxes, stops the
   * server, and makes sure nothing is left: running sandboxes and mounts of this data directory are
   * removed by force. Resolves with what had to be forced (empty when the normal path cleaned up).
   */
  close(concurrency = 16): Promise<string[]> {
    this.#closing ??= this.#close(concurrency);
    return this.#closing;
  }

  async #close(concurrency: number): Promise<string[]> {
    const forced: string[] = [];
    await inParallel(this.containers, concurrency, (id) =>
      this.delete(id).catch((error: unknown) => forced.push(`delete ${id}: ${String(error)}`)),
    );
    for (const stop of [...this.#directSandboxes.values()]) await stop().catch(() => undefined);
    await this.runtime.close().catch((error: unknown) => forced.push(`close: ${String(error)}`));
    this.#agent.destroy();
    const driver = this.runtime.sandbox.driver;
    for (const id of (await driver?.listRunning()) ?? []) {
      forced.push(`sandbox ${id} still running`);
      await driver?.stop(id, '').catch(() => undefined);
    }
    const runDir = sandboxRunDir(this.dataDir);
    if (this.#mounts(runDir).length > 0) {
      forced.push(...this.#mounts(runDir).map((line) => `mount left: ${line}`));
      await unmountAll(runDir);
    }
    if (this.#mounts(runDir).length === 0) {
      rmSync(this.dataDir, { recursive: true, force: true });
      rmSync(runDir, { recursive: true, force: true });
    } else forced.push(`could not unmount everything under ${runDir}; kept ${this.dataDir}`);
    return forced;
  }

  /** Lines of /proc/self/mountinfo that mention this server's run or data directory. */
  #mounts(runDir: string): string[] {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((line) => line.includes(runDir) || line.includes(this.dataDir));
  }
}
