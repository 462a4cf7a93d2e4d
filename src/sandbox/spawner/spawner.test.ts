import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawnLocally } from './local-spawn.js';
import { ResidentSpawner } from './resident-spawner.js';
import { runToEnd, type FinishedRun, type RunLimits } from './run-to-end.js';
import type { SpawnedProcess, SpawnOptions } from './spawned-process.js';

type Spawn = (file: string, args: readonly string[], options: SpawnOptions) => SpawnedProcess;

const resident = new ResidentSpawner();
resident.start();
afterAll(() => resident.close());

const env = { PATH: '/usr/bin:/bin' };
const pipes = ['pipe', 'pipe', 'pipe'] as const;

function collect(stream: Readable | null | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}

/** Whether a process exists and has not exited. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function closed(child: SpawnedProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
}

// The same contract for Node's spawn from this process and for the resident spawner: the code that
// starts sandbox processes cannot tell them apart.
describe.each<[string, Spawn]>([
  ['spawned from this process', spawnLocally],
  ['through the resident spawner', (file, args, options) => resident.spawn(file, args, options)],
])('a process %s', (_name, spawn) => {
  it('gets stdin, gives stdout and stderr, and reports its exit code', async () => {
    const child = spawn('/bin/sh', ['-c', 'cat; echo err >&2; exit 3'], { stdio: pipes, env });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    child.stdin?.end('from stdin\n');
    const [[code, signal]] = await Promise.all([closed(child), stdout, stderr]);
    expect(code).toBe(3);
    expect(signal).toBeNull();
    expect(await stdout).toBe('from stdin\n');
    expect(await stderr).toBe('err\n');
    expect(child.pid).toBeGreaterThan(0);
  });

  it('loses no output written the moment it starts, in any amount', async () => {
    // 4 MB written at once: far more than a pipe buffers, so it flows while the pipes change hands.
    const child = spawn('/bin/sh', ['-c', 'head -c 4194304 /dev/zero | tr "\\0" x; echo done >&2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    const [stdout, stderr, [code]] = await Promise.all([
      collect(child.stdout),
      collect(child.stderr),
      closed(child),
    ]);
    expect(stdout.length).toBe(4 * 1024 * 1024);
    expect(stderr).toBe('done\n');
    expect(code).toBe(0);
  });

  it('gets exactly the environment it is given, and the directory', async () => {
    const child = spawn('/usr/bin/env', [], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ONLY: 'this' },
      cwd: '/',
    });
    expect(await collect(child.stdout)).toBe('ONLY=this\n');
    const pwd = spawn('/bin/pwd', [], { stdio: ['ignore', 'pipe', 'ignore'], env, cwd: '/tmp' });
    expect(await collect(pwd.stdout)).toBe('/tmp\n');
  });

  it('is killed by kill(), with the signal reported', async () => {
    const child = spawn('/bin/sleep', ['60'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    await once(child, 'spawn');
    expect(child.kill('SIGKILL')).toBe(true);
    expect(await closed(child)).toEqual([null, 'SIGKILL']);
  });

  it('leads a session of its own when detached', async () => {
    const child = spawn('/bin/sh', ['-c', 'cut -d" " -f6 /proc/$$/stat'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env,
      detached: true,
    });
    const session = Number((await collect(child.stdout)).trim());
    expect(session).toBe(child.pid);
  });

  it('uses a fourth pipe both ways', async () => {
    const child = spawn('/bin/bash', ['-c', 'read -r line <&3; echo "got $line" >&3'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env,
    });
    // Listened for from the start: through the resident spawner the process can be closed by the
    // time the answer has been read (seen on Node 24, one run in ten: a listener added after it
    // waited forever).
    const done = closed(child);
    const channel = child.stdio[3] as NodeJS.ReadWriteStream & Readable;
    const answer = collect(channel);
    channel.write('hello\n');
    expect(await answer).toBe('got hello\n');
    expect((await done)[0]).toBe(0);
  });

  it('appends its output to a file when asked', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'berth-spawn-'));
    try {
      const log = join(directory, 'log');
      const child = spawn('/bin/sh', ['-c', 'echo one; echo two >&2'], {
        stdio: ['ignore', { appendTo: log }, { appendTo: log }],
        env,
      });
      expect((await closed(child))[0]).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe('one\ntwo\n');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('reports a program that does not exist as an error, with its code', async () => {
    const child = spawn('/nonexistent/program', [], { stdio: pipes, env });
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOENT');
  });
});

describe('the resident spawner', () => {
  it('never passes on the environment of the process that uses it', async () => {
    process.env.BERTH_SPAWNER_TEST_SECRET = 'sk-must-not-leak';
    try {
      const spawner = new ResidentSpawner();
      spawner.start();
      try {
        // The spawner itself: what its own environment holds.
        const child = spawner.spawn('/bin/sh', ['-c', 'cat /proc/$PPID/environ | tr "\\0" "\\n"'], {
          stdio: ['ignore', 'pipe', 'ignore'],
          env,
        });
        const environment = await collect(child.stdout);
        expect(environment).toContain('PATH=');
        expect(environment).not.toContain('sk-must-not-leak');
      } finally {
        spawner.close();
      }
    } finally {
      delete process.env.BERTH_SPAWNER_TEST_SECRET;
    }
  });

  it('reports the processes of a spawner that died as killed, and starts a new one', async () => {
    const spawner = new ResidentSpawner();
    spawner.start();
    try {
      const sleeper = spawner.spawn('/bin/sleep', ['60'], { stdio: ['ignore', 'pipe', 'ignore'], env });
      await once(sleeper, 'spawn');
      const finder = spawner.spawn('/bin/sh', ['-c', 'echo $PPID'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env,
      });
      const spawnerPid = Number((await collect(finder.stdout)).trim());
      const sleeperClosed = closed(sleeper);
      process.kill(spawnerPid, 'SIGKILL');
      expect(await sleeperClosed).toEqual([null, 'SIGKILL']);
      // The sleeper itself was killed, not left behind (gone, or a zombie its new parent reaps).
      // kill(2) returns before the process is gone: wait for it (the deadline only guards a hang).
      await vi.waitFor(() => expect(running(sleeper.pid ?? 0)).toBe(false), {
        timeout: 60_000,
        interval: 20,
      });
      const next = spawner.spawn('/bin/echo', ['again'], { stdio: ['ignore', 'pipe', 'ignore'], env });
      expect(await collect(next.stdout)).toBe('again\n');
    } finally {
      spawner.close();
    }
  });
});

type Run = (file: string, args: readonly string[], limits: RunLimits) => Promise<FinishedRun>;

// Host tools run to their end in one exchange; the same contract from this process and in the spawner.
describe.each<[string, Run]>([
  [
    'run from this process',
    (file, args, limits) => runToEnd(spawnLocally(file, args, toolOptions(limits)), limits),
  ],
  ['run in the resident spawner', (file, args, limits) => resident.run(file, args, env, limits)],
])('a host tool %s', (_name, run) => {
  const limits = { timeoutMs: 60_000, maxOutputBytes: 1024 * 1024 };

  it('gets its input and gives its output and exit code', async () => {
    const finished = await run('/bin/sh', ['-c', 'cat; echo err >&2; exit 4'], { ...limits, input: 'in\n' });
    expect(finished).toEqual({ code: 4, signal: null, stdout: 'in\n', stderr: 'err\n' });
  });

  it('is stopped past its timeout or its output limit, saying which', async () => {
    const slow = await run('/bin/sleep', ['60'], { ...limits, timeoutMs: 200 });
    expect(slow).toMatchObject({ code: null, signal: 'SIGTERM', stopped: 'it ran past 200 ms' });
    const loud = await run('/usr/bin/yes', [], { ...limits, maxOutputBytes: 4096 });
    expect(loud).toMatchObject({ signal: 'SIGTERM', stopped: 'its output passed 4096 bytes' });
  });

  it('reports a program that does not exist', async () => {
    const finished = await run('/nonexistent/program', [], limits);
    expect(finished.startError).toMatch(/ENOENT/);
  });
});

function toolOptions(limits: RunLimits): SpawnOptions {
  return { stdio: [limits.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env };
}

describe('a process using the resident spawner', () => {
  it('stays alive while it waits for the spawner, and exits once it is idle', () => {
    // Nothing else keeps this script's event loop alive: without the spawner's channel held open while
    // a run is under way, Node would end it with code 13 (a top-level await that never settled).
    const script = [
      `import { ResidentSpawner } from ${JSON.stringify(new URL('./resident-spawner.ts', import.meta.url).href)};`,
      'const spawner = new ResidentSpawner();',
      "const run = await spawner.run('/bin/sh', ['-c', 'sleep 0.3; echo done'], { PATH: '/usr/bin:/bin' }, { timeoutMs: 60000, maxOutputBytes: 4096 });",
      'process.stdout.write(run.stdout);',
      'spawner.close();',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('done\n');
    expect(result.status).toBe(0);
  });
});
