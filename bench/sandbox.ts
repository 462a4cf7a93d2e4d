// npm run bench:sandbox — containers on every sandbox driver available here, through Berth's own HTTP
// API: create → first output (cold and from the warm pool), the round trip of a command in a live
// session against the driver's own exec-per-command baseline in the same run, 100 sessions at once,
// and host memory per idle container. Needs root. See docs/benchmarks.md.
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxDriverName } from '../src/config/config-schema.js';
import { defaultSandboxConfig } from '../src/config/load-config.js';
import type { Sandbox } from '../src/sandbox/sandbox-driver.js';
import { ShellSession } from '../src/sandbox/shell-session.js';
import { defaultProjectId } from '../src/keys/default-project-id.js';
import { knownDrivers, probeSandboxDrivers } from '../test/support/probe-sandbox-drivers.js';
import { writeBenchmarkSection } from './benchmarks-doc.js';
import { raiseKeyQuota, readKeyQuota } from './key-quota.js';
import { runExecLoad, type ExecLoadResult } from './exec-load.js';
import { inParallel } from '../src/in-parallel.js';
import { SandboxBerth } from './sandbox-berth.js';
import {
  cgroupMemory,
  hostMemory,
  hostMemoryInUse,
  hostMemoryInUseBesidesOtherProcesses,
  processMemory,
  sandboxProcesses,
} from './sandbox-memory.js';
import { formatSandboxSection, type DriverFigures, type MemoryFigures } from './sandbox-report.js';

const quick = process.argv.includes('--quick');
const onlyDriver = process.argv.find((argument) => argument.startsWith('--driver='))?.slice(9);
const sizes = quick
  ? {
      creates: 5,
      roundTrips: 200,
      idleRuns: 5,
      baselineRuns: 20,
      idle: 20,
      layouts: [
        [10, 1],
        [2, 5],
      ],
      httpMs: 1_000,
      loadMs: 2_000,
    }
  : {
      creates: 30,
      roundTrips: 2000,
      idleRuns: 30,
      baselineRuns: 200,
      idle: 200,
      layouts: [
        [100, 1],
        [10, 10],
      ],
      httpMs: 5_000,
      loadMs: 10_000,
    };
const warmupMs = quick ? 500 : 2_000;
/** Quiet time before a command "after idle". */
const idleBetweenMs = 300;
/** Containers stop being created when less than this share of the host's memory is available. */
const memoryFloor = 0.3;
/** Quiet time before a memory reading: exited processes reaped (pid 1 here reaps every ~2 s). */
const settleMs = 3_000;
/** Containers created side by side while setting up (not measured). */
const setupConcurrency = 4;
/** Deletes side by side: each mostly waits for the sandbox's processes to be reaped. */
const deleteConcurrency = 16;

if (process.getuid?.() !== 0) {
  console.error('bench:sandbox needs root (the sandbox drivers mount filesystems and create cgroups).');
  process.exit(1);
}

// Every sandbox's keyrings are charged to one host uid; the default quota would stop the run at about
// 100 containers (see key-quota.ts). Raised for the run only, with enough room for its largest phase.
const keyQuotaBefore = readKeyQuota();
const restoreKeyQuota = raiseKeyQuota({ maxKeys: 4000, maxBytes: 400_000 });

// Ctrl-C or a kill still removes every container: the open server's close() runs before exiting.
let open: SandboxBerth | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: removing the benchmark's containers…`);
    void (open?.close() ?? Promise.resolve([])).finally(() => {
      restoreKeyQuota();
      process.exit(130);
    });
  });
}

async function withBerth<T>(
  driver: SandboxDriverName,
  sandbox: Partial<typeof defaultSandboxConfig>,
  work: (berth: SandboxBerth) => Promise<T>,
): Promise<T> {
  const berth = await SandboxBerth.start(driver, sandbox);
  open = berth;
  try {
    return await work(berth);
  } finally {
    const forced = await berth.close();
    open = undefined;
    if (forced.length > 0) console.error(`cleanup had to force:\n  ${forced.join('\n  ')}`);
  }
}

const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

async function time(runs: number, run: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(elapsedMs(started));
  }
  return samples;
}

/** `POST /v1/containers`, then `echo hi` through the exec endpoint: the time to a first command's output. */
async function createToFirstOutput(berth: SandboxBerth): Promise<{ create: number; exec: number }> {
  const started = process.hrtime.bigint();
  const id = await berth.create();
  const created = elapsedMs(started);
  const stdout = await berth.exec(id, 'echo hi');
  if (stdout !== 'hi\n') throw new Error(`echo hi printed ${JSON.stringify(stdout)}`);
  return { create: created, exec: elapsedMs(started) - created };
}

async function sampleCreates(
  berth: SandboxBerth,
  before?: () => Promise<void>,
): Promise<{ create: number[]; exec: number[] }> {
  const create: number[] = [];
  const exec: number[] = [];
  for (let index = 0; index < sizes.creates; index += 1) {
    await before?.();
    const sample = await createToFirstOutput(berth);
    create.push(sample.create);
    exec.push(sample.exec);
  }
  return { create, exec };
}

/** The driver's exec-per-command baseline: `runc exec <id> true` for runc, its equivalent otherwise. */
function spawnTrue(sandbox: Sandbox): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = sandbox.spawn(['true'], 'ignore');
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
}

async function measureRoundTrips(berth: SandboxBerth): Promise<DriverFigures['roundTrip']> {
  const id = await berth.create();
  await berth.exec(id, 'true');
  const http = await runExecLoad({
    baseURL: berth.url,
    targets: [{ containerId: id, session: 'default' }],
    command: 'true',
    warmupMs,
    durationMs: sizes.httpMs,
  });
  // An agent's commands come seconds apart (a model turn between them), so also one at a time after
  // the machine has been idle.
  const httpAfterIdle: number[] = [];
  for (let index = 0; index < sizes.idleRuns; index += 1) {
    await sleep(idleBetweenMs);
    httpAfterIdle.push((await time(1, () => berth.exec(id, 'true')))[0] ?? Number.NaN);
  }
  const options = { timeoutMs: 10_000, maxOutputBytes: 65_536 };
  const serviceExec = () =>
    berth.runtime.containers.exec(defaultProjectId, id, {
      commands: ['true'],
      session: 'default',
      ...options,
    });
  await time(sizes.roundTrips / 4, serviceExec);
  const service = await time(sizes.roundTrips, serviceExec);

  const { sandbox, stop } = await berth.startDirectSandbox();
  const session = new ShellSession(sandbox.shellLauncher('bench'));
  // The same shell protocol without a sandbox around the shell, for the sandbox's own share.
  const local = new ShellSession({
    command: '/bin/bash',
    args: ['--norc', '--noprofile', '--noediting', '-i'],
    env: { PATH: '/usr/bin:/bin' },
  });
  try {
    await time(sizes.roundTrips / 4, () => session.run('true', options));
    const inSession = await time(sizes.roundTrips, () => session.run('true', options));
    await time(sizes.roundTrips / 4, () => local.run('true', options));
    const localSession = await time(sizes.roundTrips, () => local.run('true', options));
    await time(sizes.baselineRuns / 10, () => spawnTrue(sandbox));
    const baseline = await time(sizes.baselineRuns, () => spawnTrue(sandbox));
    return {
      http: http.latenciesMs,
      httpErrors: http.errors,
      httpAfterIdle,
      service,
      session: inSession,
      localSession,
      baseline,
    };
  } finally {
    session.close();
    local.close();
    await stop();
  }
}

/**
 * Creates up to `count` containers through the API and runs `true` in each, which starts its default
 * session. Stops early when the host's available memory falls below `memoryFloor` of its total, so a
 * driver whose sandboxes are large cannot run the machine out of memory.
 */
async function createWithSessions(berth: SandboxBerth, count: number): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(Array.from({ length: count }), setupConcurrency, async () => {
    const memory = hostMemory();
    if (memory.available < memoryFloor * memory.total) return;
    const id = await berth.create();
    await berth.exec(id, 'true');
    ids.push(id);
  });
  if (ids.length < count) console.error(`stopped at ${ids.length} of ${count} containers: memory is short`);
  return ids;
}

async function deleteAll(berth: SandboxBerth, ids: readonly string[]): Promise<number[]> {
  const deletes: number[] = [];
  await inParallel(ids, deleteConcurrency, async (id) => {
    const started = process.hrtime.bigint();
    await berth.delete(id);
    deletes.push(elapsedMs(started));
  });
  return deletes;
}

/** Both host-wide readings, after a garbage collection of this process (run with --expose-gc). */
function hostReadings(sandboxPids: ReadonlySet<number> = new Set()): { plain: number; adjusted: number } {
  globalThis.gc?.();
  return { plain: hostMemoryInUse(), adjusted: hostMemoryInUseBesidesOtherProcesses(sandboxPids) };
}

/**
 * Starts `count` containers with their default session, reads what they cost at rest, deletes them
 * and reads what that gave back.
 */
async function measureIdleMemory(berth: SandboxBerth, count: number): Promise<MemoryFigures> {
  await sleep(settleMs);
  const before = hostReadings();
  const serverBefore = process.memoryUsage().rss;
  const ids = await createWithSessions(berth, count);
  const created = Math.max(1, ids.length);
  await sleep(settleMs); // Exited launchers reaped, sessions at rest.
  const serverWith = process.memoryUsage().rss;
  const processes = sandboxProcesses(ids);
  const sandboxPids = new Set(
    [...processes.values()].flatMap((found) => [...found.inCgroup, ...found.outside]),
  );
  const withThem = hostReadings(sandboxPids);
  let processCount = 0;
  let pss = 0;
  let rss = 0;
  let outsidePss = 0;
  let measuredCgroups = 0;
  const cgroup = { usage: 0, anon: 0, file: 0, kernel: 0 };
  for (const id of ids) {
    const { inCgroup, outside } = processes.get(id) ?? { inCgroup: [], outside: [] };
    processCount += inCgroup.length + outside.length;
    const memory = processMemory([...inCgroup, ...outside]);
    pss += memory.pssBytes;
    rss += memory.rssBytes;
    outsidePss += processMemory(outside).pssBytes;
    const charged = inCgroup[0] === undefined ? undefined : cgroupMemory(inCgroup[0], id);
    if (charged) {
      measuredCgroups += 1;
      cgroup.usage += charged.usageBytes;
      cgroup.anon += charged.anonBytes;
      cgroup.file += charged.fileBytes;
      cgroup.kernel += charged.kernelBytes;
    }
  }
  await deleteAll(berth, ids);
  await sleep(settleMs);
  const after = hostReadings();
  const perCgroup = (bytes: number) => (measuredCgroups === ids.length ? bytes / created : undefined);
  return {
    containers: ids.length,
    processesPerContainer: processCount / created,
    pssBytes: pss / created,
    rssBytes: rss / created,
    outsideCgroupPssBytes: outsidePss / created,
    cgroupUsageBytes: perCgroup(cgroup.usage),
    cgroupAnonBytes: perCgroup(cgroup.anon),
    cgroupFileBytes: perCgroup(cgroup.file),
    cgroupKernelBytes: perCgroup(cgroup.kernel),
    serverBytes: (serverWith - serverBefore) / created,
    serverRssBytes: serverWith,
    hostGrowthBytes: (withThem.adjusted - before.adjusted) / created,
    hostFreedBytes: (withThem.adjusted - after.adjusted) / created,
    plainHostGrowthBytes: (withThem.plain - before.plain) / created,
    plainHostFreedBytes: (withThem.plain - after.plain) / created,
  };
}

/** Each layout on fresh containers: `containers × sessions` clients sending `true` one after another. */
async function measureConcurrency(berth: SandboxBerth): Promise<DriverFigures['concurrency']> {
  const rows: DriverFigures['concurrency'] = [];
  for (const [containers, sessions] of sizes.layouts as [number, number][]) {
    const ids = await createWithSessions(berth, containers);
    const targets = ids.flatMap((containerId) =>
      Array.from({ length: sessions }, (_, index) => ({
        containerId,
        session: index === 0 ? 'default' : `s${index}`,
      })),
    );
    if (ids.length < containers) {
      await deleteAll(berth, ids);
      continue;
    }
    // Every session started before the clock runs: starting 90 shells is not what this measures.
    await inParallel(targets, setupConcurrency, (target) =>
      berth.exec(target.containerId, 'true', target.session),
    );
    const result: ExecLoadResult = await runExecLoad({
      baseURL: berth.url,
      targets,
      command: 'true',
      warmupMs,
      durationMs: sizes.loadMs,
    });
    if (result.firstError) console.error(`errors under load: ${result.firstError}`);
    rows.push({ containers, sessions, result });
    await deleteAll(berth, ids);
  }
  return rows;
}

async function measureDriver(driver: SandboxDriverName): Promise<DriverFigures> {
  // The defaults (20 containers per project, 8 sessions per container) would refuse the run.
  const limits = { maxContainersPerProject: 1000, maxSessionsPerContainer: 16 };
  console.error(`[${driver}] cold creates, round trips, concurrency, idle memory`);
  const first = await withBerth(driver, { ...limits, warmPool: 0 }, async (berth) => {
    const description = berth.runtime.sandbox.reason;
    for (let index = 0; index < 3; index += 1) await createToFirstOutput(berth); // First use: image, JIT.
    const cold = await sampleCreates(berth);
    const roundTrip = await measureRoundTrips(berth);
    const deletes = await deleteAll(berth, berth.containers);
    const concurrency = await measureConcurrency(berth);
    const memory = await measureIdleMemory(berth, sizes.idle);
    return { description, cold, roundTrip, deletes, memory, concurrency };
  });

  console.error(`[${driver}] creates from the warm pool`);
  const pooled = await withBerth(driver, { ...limits, warmPool: sizes.creates }, async (berth) => {
    await berth.poolFull();
    await createToFirstOutput(berth); // JIT of the pooled path.
    await berth.poolFull();
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const burst = await sampleCreates(berth);
    await berth.poolFull();
    delay.disable();
    const refilled = await sampleCreates(berth, () => berth.poolFull());
    return {
      burst,
      refilled,
      refillDelay: { p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 },
      serverRssBytes: process.memoryUsage().rss,
    };
  });
  return {
    driver,
    ...first,
    pooledBurst: pooled.burst,
    pooledRefilled: pooled.refilled,
    refillDelay: pooled.refillDelay,
    poolServerRssBytes: pooled.serverRssBytes,
  };
}

// Probed here, not through the test suite's own helper, which reads what vitest's setup provided.
const problems = await probeSandboxDrivers();
const drivers = knownDrivers.filter((driver) => !problems[driver] && (!onlyDriver || driver === onlyDriver));
if (drivers.length === 0) {
  console.error('no sandbox driver is available here');
  process.exit(1);
}
const loadAtStart = loadavg()[0] ?? 0;
const figures: DriverFigures[] = [];
const failures: { driver: string; error: string }[] = [];
try {
  for (const driver of drivers) {
    try {
      figures.push(await measureDriver(driver));
    } catch (error) {
      // One driver failing (one still being built, say) does not cost the others their figures.
      console.error(`[${driver}] failed:`, error);
      failures.push({ driver, error: error instanceof Error ? error.message : String(error) });
    }
  }
} finally {
  restoreKeyQuota();
}

const section = formatSandboxSection(figures, failures, {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  load: [loadAtStart, loadavg()[0] ?? 0],
  sizes: { ...sizes, warmupMs },
  defaults: defaultSandboxConfig,
  keyQuota: { before: keyQuotaBefore, during: { maxKeys: 4000, maxBytes: 400_000 } },
});
console.log(section);
if (!quick && !onlyDriver) writeBenchmarkSection('docs/benchmarks.md', 'sandbox', section);
// Everything is closed, but something (not found yet) keeps the event loop alive after the report.
process.exit(failures.length > 0 ? 1 : 0);
