import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountsUnder } from '../../src/sandbox/mounts.js';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import type { SandboxDriver } from '../../src/sandbox/sandbox-driver.js';
import { sandboxRunDir, selectDriver } from '../../src/sandbox/select-driver.js';
import { hostProcessesMentioning } from '../support/host-observations.js';
import { describeEachDriver } from '../support/sandbox-drivers-here.js';
import { startTestBerth, type TestBerth } from '../support/start-test-berth.js';
import { until } from '../support/until.js';

const poolSize = 2;

/**
 * The warm pool, through what a server shows: `ContainerService.pooledSandboxes`, the sandboxes on the
 * host (each has its directory under `<dataDir>/sandbox/containers` from the moment it starts) and the
 * HTTP API. A create claims a pooled sandbox (its id is one that was already running), the pool refills
 * behind it with new sandboxes, and stopping the server stops and removes the pooled ones while the
 * claimed container keeps its disk.
 */
describeEachDriver('warm pool on %s', (driver) => {
  let dataDir: string;
  let berth: TestBerth;
  /** The same driver the server runs, for its view of what is running (it is never started). */
  let observer: SandboxDriver;
  const sandboxDirs = () => readdirSync(join(dataDir, 'sandbox', 'containers')).sort();
  /**
   * Whether the sandbox runs: in the runtime's own list (runc, runsc) or, for bwrap, which keeps no
   * list, as host processes whose arguments name its directory.
   */
  const running = async (id: string) =>
    (await observer.listRunning()).includes(id) || hostProcessesMentioning(id).length > 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-warm-pool-'));
    berth = await startTestBerth({ dataDir, sandbox: { driver, warmPool: poolSize } });
    const choice = await selectDriver({ ...defaultSandboxConfig, driver }, dataDir);
    if (!choice.driver) throw new Error(choice.reason);
    observer = choice.driver;
  });
  afterAll(async () => {
    await berth?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('fills the pool at start-up with running sandboxes that belong to no container', async () => {
    await until(() => berth.runtime.containers.pooledSandboxes === poolSize);
    const pooled = sandboxDirs();
    expect(pooled).toHaveLength(poolSize);
    for (const id of pooled) expect(id).toMatch(/^cntr_/);
    for (const id of pooled) expect(await running(id), id).toBe(true);
    expect((await berth.client().containers.list()).data).toEqual([]);
  });

  it('claims a pooled sandbox for a create, and refills the pool with new ones', async () => {
    await until(() => berth.runtime.containers.pooledSandboxes === poolSize);
    const pooled = sandboxDirs();
    const client = berth.client();

    const container = await client.containers.create({ name: 'from the pool' });
    expect(pooled).toContain(container.id);
    const exec = await fetch(`${berth.baseURL}/containers/${container.id}/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commands: ['echo claimed > /mnt/data/claimed.txt; pwd'] }),
    });
    expect(((await exec.json()) as { output: { stdout: string }[] }).output[0]?.stdout).toBe('/mnt/data\n');

    // One more sandbox starts behind the claim; the other pooled one is still there, unclaimed.
    await until(
      () => berth.runtime.containers.pooledSandboxes === poolSize && sandboxDirs().length === poolSize + 1,
    );
    const refilled = sandboxDirs().filter((id) => id !== container.id);
    expect(refilled).toHaveLength(poolSize);
    expect(refilled.filter((id) => pooled.includes(id))).toHaveLength(poolSize - 1);
    const fresh = refilled.filter((id) => !pooled.includes(id));
    expect(fresh).toHaveLength(1);
    expect(await running(fresh[0] ?? 'none')).toBe(true);

    // Two more creates drain the pool: both get pooled sandboxes, and it fills again.
    const second = await client.containers.create({ name: 'second' });
    expect(refilled).toContain(second.id);
    await until(() => berth.runtime.containers.pooledSandboxes === poolSize);
    expect((await client.containers.list()).data.map((entry) => entry.id).sort()).toEqual(
      [container.id, second.id].sort(),
    );
  });

  it("stops and removes the pooled sandboxes when the server stops, keeping each container's disk", async () => {
    await until(() => berth.runtime.containers.pooledSandboxes === poolSize);
    const containers = (await berth.client().containers.list()).data.map((entry) => entry.id);
    const pooled = sandboxDirs().filter((id) => !containers.includes(id));
    expect(pooled).toHaveLength(poolSize);

    await berth.stopServer();

    for (const id of pooled) {
      expect(existsSync(join(dataDir, 'sandbox', 'containers', id)), id).toBe(false);
      expect(await running(id), id).toBe(false);
    }
    for (const id of containers) {
      expect(existsSync(join(dataDir, 'sandbox', 'containers', id)), id).toBe(true);
      expect(await running(id), id).toBe(false);
    }
    expect(sandboxDirs().sort()).toEqual([...containers].sort());
    expect(mountsUnder(sandboxRunDir(dataDir))).toEqual([]);

    // A new server on the same data directory fills a new pool and still has the containers' files.
    berth = await berth.restart();
    await until(() => berth.runtime.containers.pooledSandboxes === poolSize);
    const [first] = containers;
    const exec = await fetch(`${berth.baseURL}/containers/${first}/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commands: ['ls /mnt/data'] }),
    });
    expect(exec.status).toBe(200);
    expect(sandboxDirs().filter((id) => !containers.includes(id))).toHaveLength(poolSize);
  });
});
