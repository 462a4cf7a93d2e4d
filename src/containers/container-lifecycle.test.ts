import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { mountsUnder } from '../sandbox/mounts.js';
import { defaultSandboxConfig } from '../config/load-config.js';
import { resolveImage } from '../sandbox/resolve-image.js';
import { sandboxRunDir, selectDriver } from '../sandbox/select-driver.js';
import { ShellSession } from '../sandbox/shell-session.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { until } from '../../test/support/until.js';
import { hostCgroupsNamed, hostProcessesMentioning } from '../../test/support/host-observations.js';
import { describeEachDriver } from '../../test/support/sandbox-drivers-here.js';

interface ExecBody {
  readonly output: readonly { readonly stdout: string }[];
  readonly error: { readonly message: string };
}

function manualClock(): Clock & { advanceSeconds(seconds: number): void } {
  let now = Date.now();
  return {
    now: () => now,
    advanceSeconds(seconds) {
      now += seconds * 1000;
    },
  };
}

async function exec(
  berth: TestBerth,
  id: string,
  commands: string[],
): Promise<{ status: number; body: ExecBody }> {
  const response = await fetch(`${berth.baseURL}/containers/${id}/exec`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ commands }),
  });
  return { status: response.status, body: (await response.json()) as ExecBody };
}

/** Mount points under this server's sandbox run directory (none once everything was stopped). */
function mountsOf(dataDir: string): string[] {
  return mountsUnder(sandboxRunDir(dataDir));
}

describeEachDriver('container lifecycle on %s', (driver) => {
  const opened: TestBerth[] = [];
  const dataDirs: string[] = [];
  afterEach(async () => {
    for (const berth of opened.splice(0)) await berth.close();
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function start(options: Parameters<typeof startTestBerth>[0] = {}): Promise<TestBerth> {
    const berth = await startTestBerth({ ...options, sandbox: { driver, warmPool: 0, ...options.sandbox } });
    opened.push(berth);
    return berth;
  }

  it('keeps files across a server restart, starts fresh shells, and leaves nothing running while stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-lifecycle-'));
    dataDirs.push(dataDir);
    const first = await start({ dataDir });
    const container = await first.client().containers.create({ name: 'survivor' });
    await exec(first, container.id, [
      'echo kept > /mnt/data/note.txt; mkdir -p /opt/tool; echo v1 > /opt/tool/v',
      'export GONE=1',
    ]);
    await first.stopServer();
    expect(mountsOf(dataDir)).toEqual([]);

    const second = await first.restart();
    opened.push(second);
    const after = await exec(second, container.id, [
      'cat /mnt/data/note.txt /opt/tool/v',
      'echo "[$GONE]"; pwd',
    ]);
    expect(after.body.output.map((entry) => entry.stdout)).toEqual(['kept\nv1\n', '[]\n/mnt/data\n']);
    expect((await second.client().containers.retrieve(container.id)).status).toBe('running');
  });

  it('expires idle containers: processes and files go, the record says expired', async () => {
    const clock = manualClock();
    const berth = await start({ clock });
    const client = berth.client();
    const idle = await client.containers.create({
      name: 'idle',
      expires_after: { anchor: 'last_active_at', minutes: 1 },
    });
    const busy = await client.containers.create({
      name: 'busy',
      expires_after: { anchor: 'last_active_at', minutes: 1 },
    });
    await exec(berth, idle.id, ['echo x > /mnt/data/x']);
    clock.advanceSeconds(45);
    await exec(berth, busy.id, ['true']); // Activity moves last_active_at.
    clock.advanceSeconds(30);
    expect(await berth.runtime.containers.sweepExpired()).toBe(1);

    expect((await client.containers.retrieve(idle.id)).status).toBe('expired');
    expect((await client.containers.retrieve(busy.id)).status).toBe('running');
    const refused = await exec(berth, idle.id, ['true']);
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toMatch(/expired/);
    expect(existsSync(join(berth.dataDir, 'sandbox', 'containers', idle.id))).toBe(false);
    expect(mountsOf(berth.dataDir).filter((point) => point.includes(idle.id))).toEqual([]);
    // An expired container no longer counts against the project's cap, and can still be deleted.
    await client.containers.delete(idle.id);
  });

  it('removes orphaned sandboxes and disks at start-up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-reaper-'));
    dataDirs.push(dataDir);
    // What a crash leaves: a sandbox started by this driver as the server would (same run directory,
    // same image), with a shell and a background process still running in it and a file on its disk,
    // but no record of the container.
    const orphanId = 'cntr_orphan0000000000000000000000000000000000000000';
    const orphanDir = join(dataDir, 'sandbox', 'containers', orphanId);
    mkdirSync(orphanDir, { recursive: true, mode: 0o700 });
    const crashed = await selectDriver({ ...defaultSandboxConfig, driver }, dataDir);
    if (!crashed.driver) throw new Error(crashed.reason);
    const orphan = await crashed.driver.start({
      id: orphanId,
      dir: orphanDir,
      image: await resolveImage(dataDir, 'host'),
      limits: { memoryBytes: 256 * 1024 ** 2, pids: 64, cpus: 1, diskBytes: 64 * 1024 ** 2 },
    });
    const marker = `berth-orphan-${process.pid}-${driver}`;
    const shell = new ShellSession(orphan.shellLauncher('default'));
    const started = await shell.run(
      `echo left > /mnt/data/left.txt; (exec -a ${marker} sleep 1000 &); echo started`,
      { timeoutMs: 30_000, maxOutputBytes: 1024 },
    );
    expect(started.stdout).toBe('started\n');
    // Left running, as after a crash: on the host (gVisor's processes live in its own kernel, so there
    // the sandbox itself is what runs), and in the runtime's state where the driver keeps one.
    if (driver === 'runsc') expect(hostProcessesMentioning(orphanId).length).toBeGreaterThan(0);
    else await until(() => hostProcessesMentioning(marker).length > 0);
    if (driver !== 'bwrap') expect(await crashed.driver.listRunning()).toContain(orphanId);
    if (driver !== 'runsc')
      expect(mountsOf(dataDir).length + hostCgroupsNamed(orphanId).length).toBeGreaterThan(0);

    const berth = await start({ dataDir });
    // The server answers while the leftovers are cleaned up in the background; a container request
    // waits for the cleanup rather than racing it.
    expect((await berth.client().models.list()).data.length).toBeGreaterThan(0);
    const created = await berth.client().containers.create({ name: 'after the crash' });
    expect(existsSync(orphanDir)).toBe(false);
    expect(await exec(berth, created.id, ['cat /mnt/data/left.txt 2>&1 || echo none'])).toMatchObject({
      status: 200,
    });
    await berth.runtime.containers.started;
    await berth.client().containers.delete(created.id);
    await berth.runtime.containers.teardownsDone();

    expect(existsSync(orphanDir)).toBe(false);
    expect(mountsOf(dataDir)).toEqual([]);
    expect(hostProcessesMentioning(marker)).toEqual([]);
    expect(hostProcessesMentioning(orphanId)).toEqual([]);
    expect(hostCgroupsNamed(orphanId)).toEqual([]);
    const after = await selectDriver({ ...defaultSandboxConfig, driver }, dataDir);
    expect(await after.driver?.listRunning()).not.toContain(orphanId);
    await expect(berth.client().containers.retrieve(orphanId)).rejects.toMatchObject({ status: 404 });
    shell.close();
  });

  it('caps live containers per project and sessions per container', async () => {
    const berth = await start({ sandbox: { maxContainersPerProject: 2, maxSessionsPerContainer: 2 } });
    const client = berth.client();
    const first = await client.containers.create({ name: 'one' });
    await client.containers.create({ name: 'two' });
    await expect(client.containers.create({ name: 'three' })).rejects.toMatchObject({
      status: 400,
      code: 'container_limit_reached',
    });
    const sessions = async (session: string) =>
      fetch(`${berth.baseURL}/containers/${first.id}/exec`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ commands: ['true'], session }),
      });
    expect((await sessions('a')).status).toBe(200);
    expect((await sessions('b')).status).toBe(200);
    expect((await sessions('c')).status).toBe(400);
    expect((await sessions('a')).status).toBe(200);
    await client.containers.delete(first.id);
    expect((await client.containers.create({ name: 'three' })).name).toBe('three');
  });
});
