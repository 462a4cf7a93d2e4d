import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDriver } from '../../test/support/sandbox-drivers-here.js';

const bin = join(import.meta.dirname, '../../bin/berth.js');

/** Runs the CLI as a user would, resolving with its exit code and output. */
function berth(
  environment: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describeEachDriver('berth containers, exec and cp on %s', (driver) => {
  const directory = mkdtempSync(join(tmpdir(), 'berth-containers-cli-'));
  let server: ChildProcessWithoutNullStreams;
  let environment: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const config = join(directory, 'config.json');
    writeFileSync(config, JSON.stringify({ sandbox: { driver, warmPool: 0 } }));
    server = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--config', config, '--data-dir', join(directory, 'data'), '--init'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: directory },
      },
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\S+)[\s\S]*sandbox: /.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      server.on('exit', (code) => reject(new Error(`berth serve exited ${code}: ${output}`)));
    });
    expect(output).toContain(`sandbox: ${driver}`);
    environment = { PATH: process.env.PATH ?? '', HOME: directory, BERTH_URL: url };
  });

  afterAll(async () => {
    // SIGTERM: the server stops its sandboxes before it exits.
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    rmSync(directory, { recursive: true, force: true });
  });

  it('creates a container, runs commands with state, copies files both ways, and removes it', async () => {
    const created = await berth(environment, 'containers', 'create', 'demo', '--memory', '4g');
    expect(created.stderr).toBe('');
    const id = created.stdout.trim();
    expect(id).toMatch(/^cntr_/);

    const listed = await berth(environment, 'containers', 'ls');
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+demo\\s+running\\s+4g`));

    expect((await berth(environment, 'exec', id, '--', 'cd /tmp && export GREETING=hello')).code).toBe(0);
    const greeted = await berth(
      environment,
      'exec',
      id,
      '--',
      'echo $GREETING from $(pwd); echo warn >&2; exit 3',
    );
    expect(greeted).toEqual({ code: 3, stdout: 'hello from /tmp\n', stderr: 'warn\n' });

    const local = join(directory, 'data.csv');
    writeFileSync(local, 'a,b\n1,2\n');
    const copiedIn = await berth(environment, 'cp', local, id);
    expect(copiedIn.stdout).toContain(`${id}:/mnt/data/data.csv (8 bytes)`);
    await berth(environment, 'exec', id, '--', 'wc -l < /mnt/data/data.csv > /mnt/data/lines.txt');
    const copiedOut = await berth(environment, 'cp', `${id}:/mnt/data/lines.txt`, directory);
    expect(copiedOut.code).toBe(0);
    expect(readFileSync(join(directory, 'lines.txt'), 'utf8')).toBe('2\n');

    const timedOut = await berth(environment, 'exec', '--timeout', '300', id, '--', 'sleep 30');
    expect(timedOut.code).toBe(124);
    expect(timedOut.stderr).toContain('timed out');

    expect((await berth(environment, 'containers', 'rm', id)).stdout.trim()).toBe(id);
    const gone = await berth(environment, 'exec', id, '--', 'true');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No container found with id '${id}'`);
  });

  it("prints Berth's own notes on a command, which are not streamed (a memory limit reached)", async () => {
    const id = (await berth(environment, 'containers', 'create', 'small', '--memory', '1g')).stdout.trim();
    const result = await berth(
      environment,
      'exec',
      id,
      '--',
      'echo before; echo own-stderr >&2; python3 -c "b = bytearray(3 * 2**30)"',
    );
    // Killed: on runsc the limit is the whole sandbox's, and all of it goes (see the README).
    expect(result.code).toBe(driver === 'runsc' ? 128 : 137);
    expect(result.stdout).toBe('before\n');
    expect(result.stderr).toContain('own-stderr\n');
    expect(result.stderr).toContain(
      '[berth] a process was killed: the container reached its memory limit (1g).',
    );
    if (driver === 'runsc')
      expect(result.stderr).toContain("[berth] the container's sandbox stopped working");
    await berth(environment, 'containers', 'rm', id);
  });

  it('says clearly when the server cannot be reached', async () => {
    const result = await berth({ ...environment, BERTH_URL: 'http://127.0.0.1:9/v1' }, 'containers', 'ls');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach the server at http://127.0.0.1:9/v1');
  });
});
