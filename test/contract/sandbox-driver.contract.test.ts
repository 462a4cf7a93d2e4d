import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import { describeEachDriver } from '../support/sandbox-drivers-here.js';
import { resolveImage } from '../../src/sandbox/resolve-image.js';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../../src/sandbox/sandbox-driver.js';
import { selectDriver } from '../../src/sandbox/select-driver.js';
import { ShellSession, type RunOptions } from '../../src/sandbox/shell-session.js';
import { until } from '../support/until.js';

const options: RunOptions = { timeoutMs: 20_000, maxOutputBytes: 64 * 1024 };

/** Host processes whose command line contains `marker` (what must not outlive a stopped sandbox). */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/**
 * What every `SandboxDriver` promises, checked against each driver this machine has. The HTTP-level
 * behaviour is covered by the containers API suite; this is the seam itself.
 */
describeEachDriver('SandboxDriver contract: %s', (name) => {
  let dataDir: string;
  let driver: SandboxDriver;
  let spec: SandboxSpec;
  let sandbox: Sandbox | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `berth-contract-${name}-`));
    const choice = await selectDriver({ ...defaultSandboxConfig, driver: name }, dataDir);
    if (!choice.driver) throw new Error(`driver ${name} unavailable: ${choice.reason}`);
    driver = choice.driver;
    // A fresh id per run: cgroups are named by it, host-wide, so two test runs side by side (or a run
    // beside a server) must never share one.
    const id = `cntr_contract_${randomBytes(6).toString('hex')}`;
    const dir = join(dataDir, 'sandbox', 'containers', id);
    mkdirSync(dir, { recursive: true });
    spec = {
      id,
      dir,
      image: await resolveImage(dataDir, 'host'),
      limits: { memoryBytes: 256 * 1024 ** 2, pids: 128, cpus: 1, diskBytes: 64 * 1024 ** 2 },
    };
  });

  afterAll(async () => {
    await driver?.stop(spec.id, spec.dir);
    await driver?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes its readiness probe before it has started any sandbox', async () => {
    await expect(driver.probe()).resolves.toBeUndefined();
  });

  it('starts a sandbox whose shell sessions keep state, in /mnt/data, as the sandbox root', async () => {
    sandbox = await driver.start(spec);
    const session = new ShellSession(sandbox.shellLauncher('default'));
    try {
      expect((await session.run('pwd; cd /tmp; export A=1', options)).stdout).toBe('/mnt/data\n');
      expect((await session.run('echo "$A $(pwd) $(hostname)"', options)).stdout).toBe('1 /tmp berth\n');
      const identity = await session.run(
        'id -u; grep -c . /etc/passwd; env | sort | cut -d= -f1 | tr "\\n" " "',
        options,
      );
      const [uid, , names] = identity.stdout.split('\n');
      expect(uid).toBe('0');
      // Nothing of the server's environment: only the sandbox's own few variables.
      expect(
        names
          ?.split(' ')
          .filter(Boolean)
          .every((variable) => /^[A-Z_]+$/.test(variable)),
      ).toBe(true);
      expect(names).not.toMatch(/BERTH|OPENAI|ANTHROPIC|VITEST|NODE/);
    } finally {
      session.close();
    }
  });

  it('runs programs inside with spawn', async () => {
    sandbox ??= await driver.start(spec);
    const child = sandbox.spawn(['/usr/bin/cat', '/etc/hostname'], ['ignore', 'pipe', 'pipe']);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, output }).toEqual({ code: 0, output: 'berth\n' });
  });

  it('kills every process on stop and keeps the files for the next start', async () => {
    sandbox ??= await driver.start(spec);
    const marker = `contract-marker-${process.pid}`;
    const session = new ShellSession(sandbox.shellLauncher('default'));
    await session.run(
      `echo kept > /mnt/data/kept.txt; (exec -a ${marker} sleep 1000 &) ; setsid sh -c 'exec -a ${marker} sleep 1000' &`,
      options,
    );
    // gVisor runs the sandbox's processes inside its own kernel: the host never sees them.
    if (driver.name !== 'runsc') {
      // The background jobs may not have exec'd (taken their marker name) yet when the command returns.
      await until(() => hostProcessesWith(marker).length > 0);
    }
    session.close();
    await driver.stop(spec.id, spec.dir);
    sandbox = undefined;
    expect(hostProcessesWith(marker)).toEqual([]);
    expect(await driver.listRunning()).not.toContain(spec.id);

    sandbox = await driver.start(spec);
    const again = new ShellSession(sandbox.shellLauncher('default'));
    try {
      expect((await again.run('cat /mnt/data/kept.txt', options)).stdout).toBe('kept\n');
      // Nothing of the first run survived inside either.
      const survivors = await again.run(`ps -eo args | grep -c "^${marker}" || true`, options);
      expect(survivors.stdout).toBe('0\n');
    } finally {
      again.close();
    }
  });

  it('enforces the limits the driver says it enforces, and counts the hits', async () => {
    sandbox ??= await driver.start(spec);
    const session = new ShellSession(sandbox.shellLauncher('limits'));
    try {
      if (driver.capabilities.memoryLimit) {
        const before = sandbox.limitEvents().oomKills;
        const bomb = await session.run('python3 -c "b = bytearray(512 * 1024 * 1024)"', options);
        expect(bomb.outcome).toEqual({ type: 'exit', exit_code: 137 });
        expect(sandbox.limitEvents().oomKills).toBeGreaterThan(before);
      }
      if (driver.capabilities.diskQuota) {
        const fill = await session.run(
          'dd if=/dev/zero of=/mnt/data/fill bs=1M count=200 2>&1; rm -f /mnt/data/fill',
          options,
        );
        expect(fill.stdout).toContain('No space left on device');
      }
      if (driver.capabilities.pidsLimit) {
        const before = sandbox.limitEvents().pidsRefused;
        const forks = await session.run(
          'for i in $(seq 200); do sleep 5 & done 2>/dev/null; kill $(jobs -p) 2>/dev/null; true',
          options,
        );
        expect(forks.outcome.type).toBe('exit');
        expect(sandbox.limitEvents().pidsRefused).toBeGreaterThan(before);
      }
      expect((await session.run('echo alive', options)).stdout).toBe('alive\n');
    } finally {
      session.close();
    }
  });
});
