import type { SandboxConfig } from '../src/config/config-schema.js';
import type { ExecLoadResult } from './exec-load.js';
import type { KeyQuota } from './key-quota.js';
import { percentile } from './load.js';

export interface MemoryFigures {
  readonly containers: number;
  readonly processesPerContainer: number;
  /** The rest are per container, in bytes; cgroup figures are undefined when a driver has none. */
  readonly pssBytes: number;
  readonly rssBytes: number;
  /** PSS of its processes outside its cgroups (host-side helpers such as a resident `runsc exec`). */
  readonly outsideCgroupPssBytes: number;
  readonly cgroupUsageBytes: number | undefined;
  readonly cgroupAnonBytes: number | undefined;
  readonly cgroupFileBytes: number | undefined;
  readonly cgroupKernelBytes: number | undefined;
  /** Growth of the server process's RSS (this process) while the containers were created. */
  readonly serverBytes: number;
  /** The server process's whole RSS with the containers running. */
  readonly serverRssBytes: number;
  /**
   * Growth of MemTotal − MemAvailable, less every other process's anonymous memory, while they were
   * created: the kernel's share (mounts, loop devices, journals) included.
   */
  readonly hostGrowthBytes: number;
  /** Its drop when they were deleted: the same estimate from the other side. */
  readonly hostFreedBytes: number;
  /** The same two without subtracting other processes: everything on the machine moves them. */
  readonly plainHostGrowthBytes: number;
  readonly plainHostFreedBytes: number;
}

export interface CreateSamples {
  /** `POST /v1/containers` answered. */
  readonly create: number[];
  /** Then `echo hi` through the exec endpoint answered. */
  readonly exec: number[];
}

export interface DriverFigures {
  readonly driver: string;
  /** What the server printed about the driver (its version). */
  readonly description: string;
  readonly cold: CreateSamples;
  readonly pooledBurst: CreateSamples;
  readonly pooledRefilled: CreateSamples;
  readonly roundTrip: {
    readonly http: number[];
    readonly httpErrors: number;
    /** One at a time from this process, after 300 ms without work. */
    readonly httpAfterIdle: number[];
    readonly service: number[];
    readonly session: number[];
    /** The same protocol with a local bash, no sandbox. */
    readonly localSession: number[];
    readonly baseline: number[];
  };
  readonly deletes: number[];
  /** Event-loop delay of the server while pooled sandboxes were started in the background. */
  readonly refillDelay: { readonly p99Ms: number; readonly maxMs: number };
  /** The server process's RSS during the pool measurement. */
  readonly poolServerRssBytes: number;
  readonly memory: MemoryFigures;
  readonly concurrency: { containers: number; sessions: number; result: ExecLoadResult }[];
}

export interface ReportContext {
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  /** The 1-minute load average when the run started and when it ended. */
  readonly load: readonly [number, number];
  readonly sizes: {
    readonly creates: number;
    readonly roundTrips: number;
    readonly baselineRuns: number;
    readonly idle: number;
    readonly idleRuns: number;
    readonly httpMs: number;
    readonly loadMs: number;
    readonly warmupMs: number;
  };
  readonly defaults: SandboxConfig;
  /** kernel.keys.maxkeys/maxbytes before the run and while it ran. */
  readonly keyQuota: { readonly before: KeyQuota; readonly during: KeyQuota };
}

/** The five targets of the issue, on a 2-core machine. */
const targets = {
  pooledP50Ms: 10,
  coldP50Ms: 150,
  roundTripP50Ms: 2,
  roundTripSpeedup: 20,
  commandsPerSecond: 500,
  idleMiB: 8,
};

const p50 = (samples: readonly number[]) => percentile(samples, 0.5);
const p99 = (samples: readonly number[]) => percentile(samples, 0.99);
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : (bytes / 2 ** 20).toFixed(2));
const met = (ok: boolean) => (ok ? 'met' : '**not met**');
const total = (samples: CreateSamples) =>
  samples.create.map((create, index) => create + (samples.exec[index] ?? 0));

/** The `sandbox` section of docs/benchmarks.md. */
export function formatSandboxSection(
  figures: readonly DriverFigures[],
  failures: readonly { driver: string; error: string }[],
  context: ReportContext,
): string {
  const { sizes } = context;
  const createRows = figures.flatMap((figure) =>
    (
      [
        ['cold (`warmPool: 0`)', figure.cold],
        ['warm pool, back to back', figure.pooledBurst],
        ['warm pool, refilled before each', figure.pooledRefilled],
      ] as const
    ).map(([path, samples]) => {
      const all = total(samples);
      return `| ${figure.driver} | ${path} | ${ms(p50(samples.create))} | ${ms(p50(samples.exec))} | ${ms(p50(all))} | ${ms(p99(all))} |`;
    }),
  );
  const roundTripRows = figures.flatMap((figure) => {
    const { roundTrip } = figure;
    const baseline = p50(roundTrip.baseline);
    const row = (path: string, samples: readonly number[], speedup = true) =>
      `| ${figure.driver} | ${path} | ${samples.length} | ${ms(p50(samples))} | ${ms(p99(samples))} | ${speedup ? `${(baseline / p50(samples)).toFixed(0)}×` : '1×'} |`;
    return [
      row('`POST …/exec` over HTTP, back to back (client in another process)', roundTrip.http),
      row('`POST …/exec` over HTTP, each after 300 ms idle (client in-process)', roundTrip.httpAfterIdle),
      row('`ContainerService.exec` in-process (no HTTP)', roundTrip.service),
      row('`ShellSession.run` in-process (no HTTP, no service)', roundTrip.session),
      row('`ShellSession.run` with a local bash, no sandbox (reference)', roundTrip.localSession),
      row(
        `${baselineName(figure.driver)}, in the container of the in-process session`,
        roundTrip.baseline,
        false,
      ),
    ];
  });
  const concurrencyRows = figures.flatMap((figure) =>
    figure.concurrency.map(({ containers, sessions, result }) => {
      const perSecond = result.latenciesMs.length / result.seconds;
      return `| ${figure.driver} | ${containers} × ${sessions} | ${containers * sessions} | ${Math.round(perSecond)} | ${ms(p50(result.latenciesMs))} | ${ms(p99(result.latenciesMs))} | ${result.errors} |`;
    }),
  );
  const memoryRows = figures.map(({ driver, memory }) => {
    const cgroup =
      memory.cgroupUsageBytes === undefined
        ? 'n/a'
        : `${mib(memory.cgroupUsageBytes)} (${mib(memory.cgroupAnonBytes)} / ${mib(memory.cgroupFileBytes)} / ${mib(memory.cgroupKernelBytes)})`;
    return `| ${driver} | ${memory.containers} | ${memory.processesPerContainer.toFixed(1)} | ${mib(memory.pssBytes)} | ${mib(memory.rssBytes)} | ${cgroup} | ${mib(memory.outsideCgroupPssBytes)} | ${mib(memory.serverBytes)} | ${mib(memory.hostGrowthBytes)} / ${mib(memory.hostFreedBytes)} | ${mib(memory.plainHostGrowthBytes)} / ${mib(memory.plainHostFreedBytes)} |`;
  });
  const targetRows = figures.flatMap((figure) => {
    const pooled = p50(total(figure.pooledBurst));
    const cold = p50(total(figure.cold));
    const http = p50(figure.roundTrip.http);
    const speedup = p50(figure.roundTrip.baseline) / http;
    const idle = idleFigure(figure.memory);
    return [
      `| ${figure.driver} | create → first output from the pool, p50 ≤ ${targets.pooledP50Ms} ms | ${ms(pooled)} ms | ${met(pooled <= targets.pooledP50Ms)} |`,
      `| ${figure.driver} | create → first output cold, p50 ≤ ${targets.coldP50Ms} ms | ${ms(cold)} ms | ${met(cold <= targets.coldP50Ms)} |`,
      `| ${figure.driver} | session round trip over HTTP, p50 ≤ ${targets.roundTripP50Ms} ms | ${ms(http)} ms | ${met(http <= targets.roundTripP50Ms)} |`,
      `| ${figure.driver} | … and ≥ ${targets.roundTripSpeedup}× faster than ${baselineName(figure.driver)} | ${speedup.toFixed(0)}× | ${met(speedup >= targets.roundTripSpeedup)} |`,
      ...figure.concurrency.map(({ containers, sessions, result }) => {
        const perSecond = result.latenciesMs.length / result.seconds;
        return `| ${figure.driver} | ≥ ${targets.commandsPerSecond} commands/s, ${containers} × ${sessions} sessions | ${Math.round(perSecond)}/s | ${met(perSecond >= targets.commandsPerSecond && result.errors === 0)} |`;
      }),
      `| ${figure.driver} | ≤ ${targets.idleMiB} MiB per idle container, at ${figure.memory.containers} (the largest estimate: ${idle.name}) | ${mib(idle.bytes)} MiB | ${met(idle.bytes <= targets.idleMiB * 2 ** 20)} |`,
    ];
  });
  const deletes = figures
    .map((figure) => `${figure.driver} ${(p50(figure.deletes) / 1000).toFixed(2)} s`)
    .join(', ');
  const refill = figures
    .map(
      (figure) =>
        `${figure.driver}: p99 ${ms(figure.refillDelay.p99Ms)} ms, max ${ms(figure.refillDelay.maxMs)} ms (server RSS ${mib(figure.poolServerRssBytes)} MiB)`,
    )
    .join('; ');

  return `## Sandbox: containers through the Containers API, per driver

Reproduce: \`sudo npm run bench:sandbox\` (writes this section; \`-- --quick\` for a short run that writes
nothing, \`-- --driver=runc\` for one driver). Measured ${context.date} on ${context.machine}, Node
${context.node}, drivers: ${figures.map((figure) => `${figure.driver} (${figure.description})`).join('; ')}. The 1-minute
load average was ${context.load[0].toFixed(1)} when the run started and ${context.load[1].toFixed(1)} when it ended: other work shared the machine.

One process runs a real Berth (\`startRuntime\`, SQLite store, keyless on loopback, image
\`${context.defaults.image}\`, the default limits: ${context.defaults.cpus} CPU, ${context.defaults.pidsLimit} pids, memory_limit 1g, ${context.defaults.diskBytes / 2 ** 30} GiB disk) and drives it over HTTP;
\`maxContainersPerProject\` is raised to 1000 and \`maxSessionsPerContainer\` to 16 for the run, and so is the
kernel's key quota for users other than root (\`kernel.keys.maxkeys\`/\`maxbytes\`, from ${context.keyQuota.before.maxKeys}/${context.keyQuota.before.maxBytes} to
${context.keyQuota.during.maxKeys}/${context.keyQuota.during.maxBytes}, put back afterwards): every runc sandbox's root is host uid 100000, each sandbox and
each session shell holds a session keyring charged to it, and the default quota runs out at about 100
containers with one session each (see "Reading the figures"). Every container is deleted at the end,
and the bench checks that no sandbox or mount of its own is left.

${failures.map((failure) => `**${failure.driver} failed**, so it has no figures below: ${failure.error.split('\n')[0]}\n\n`).join('')}### Targets

| driver | target | measured | |
|---|---|---|---|
${targetRows.join('\n')}

### Create → first output

\`POST /v1/containers\`, then \`POST /v1/containers/{id}/exec\` with \`echo hi\` (its output checked), ${sizes.creates}
times in a row per row, after three unmeasured creates. Cold: \`warmPool: 0\`, so the create starts the
sandbox and the first exec starts the session's shell. Warm pool: \`warmPool: ${sizes.creates}\`, filled before
the first create (\`ContainerService.pooledSandboxes\`); a pooled sandbox's default session is already
running. "Back to back" lets the pool refill in the background while the next creates run (as under a
burst); "refilled before each" waits for a full pool first. Times in ms.

| driver | path | create p50 | first exec p50 | total p50 | total p99 |
|---|---|---|---|---|---|
${createRows.join('\n')}

The server's event-loop delay while the pool refilled during the back-to-back creates: ${refill}.
Deleting a container (not part of any figure above): p50 ${deletes}.

### Round trip of \`true\` in a live session

\`true\` in the container's default session, one command after another: over HTTP for ${sizes.warmupMs / 1000} s of warm-up then
${sizes.httpMs / 1000} s measured, and ${sizes.idleRuns} times with 300 ms of idle before each (an agent's commands come a model turn
apart); in-process ${sizes.roundTrips} times after ${sizes.roundTrips / 4} warm-up runs. The baseline is what an
exec-per-command sandbox pays for every command: the driver's own exec of a new process into the running
sandbox, ${sizes.baselineRuns} times after ${sizes.baselineRuns / 10} warm-up runs. "Faster" is the baseline's p50 over the row's p50.

| driver | path | runs | p50 ms | p99 ms | faster than the baseline |
|---|---|---|---|---|---|
${roundTripRows.join('\n')}

### Sessions running commands at once

Each session has a client of its own in a separate load-generator process that sends \`true\` through
the exec endpoint one after another (keep-alive HTTP/1.1); every session is started first, then
${sizes.warmupMs / 1000} s of warm-up and ${sizes.loadMs / 1000} s measured.
100 × 1 is the common case (one agent, one container, its default session); 10 × 10 puts ten
sessions side by side in each container.

| driver | containers × sessions | sessions | commands/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|---|
${concurrencyRows.join('\n')}

### Host memory per idle container

${sizes.idle} containers created through the API, each with its default session started (\`true\` run in it),
then left idle for 3 s. Per container, in MiB: the sum of PSS (\`/proc/<pid>/smaps_rollup\`, shared pages
divided among the processes mapping them) and of RSS over the processes in the sandbox's cgroups; the
memory charged to the sandbox's memory cgroup (usage = anonymous / page cache / kernel, the counter its
memory limit applies to); the PSS of the sandbox's processes outside its cgroups (host-side helpers);
the growth of the server process's RSS; and host-wide, MemTotal − MemAvailable (reclaimable page cache
counts as available), which grew by the first figure while the containers were created and fell by the
second when they were deleted. Host-wide figures hold everything, the kernel's memory outside the
cgroups included (mounts, loop devices, ext4 journals), but also whatever else ran on the machine
meanwhile: "host" subtracts the anonymous memory of every other process (this server's included) at
each reading, "plain" does not.

| driver | containers | processes each | PSS | RSS | cgroup usage (anon / file / kernel) | PSS outside the cgroup | server | host growth / freed | plain host growth / freed |
|---|---|---|---|---|---|---|---|---|---|
${memoryRows.join('\n')}
`;
}

/**
 * The figure compared with the idle-memory target: the largest of the sandbox's own charge (its
 * cgroup's usage, or its processes' PSS without one) plus the server's growth, and the two host-wide
 * estimates — the one that hides least.
 */
function idleFigure(memory: MemoryFigures): { name: string; bytes: number } {
  const own =
    (memory.cgroupUsageBytes === undefined
      ? memory.pssBytes
      : memory.cgroupUsageBytes + memory.outsideCgroupPssBytes) + Math.max(0, memory.serverBytes);
  const candidates = [
    {
      name: `${memory.cgroupUsageBytes === undefined ? 'PSS' : 'cgroup usage + PSS outside it'} + server growth`,
      bytes: own,
    },
    { name: 'host growth at create', bytes: memory.hostGrowthBytes },
    { name: 'host freed at delete', bytes: memory.hostFreedBytes },
  ];
  return candidates.reduce((largest, candidate) => (candidate.bytes > largest.bytes ? candidate : largest));
}

function baselineName(driver: string): string {
  if (driver === 'runc') return '`runc exec <id> true`';
  if (driver === 'runsc') return '`runsc exec <id> true`';
  if (driver === 'bwrap') return '`bwrap … true` (a new bwrap over the same container)';
  return `\`Sandbox.spawn(['true'])\` (${driver})`;
}
