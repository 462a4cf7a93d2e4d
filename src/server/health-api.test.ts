import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../keys/issue-api-key.js';
import { startBerthProcess } from '../../test/support/berth-process.js';
import { driverSkipReason } from '../../test/support/sandbox-drivers-here.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { until } from '../../test/support/until.js';

let berth: TestBerth;
/** The server's origin: the health routes are outside `/v1`. */
let origin: string;
beforeAll(async () => {
  berth = await startTestBerth();
  origin = new URL(berth.baseURL).origin;
  // With a key in existence every `/v1` route needs one; the probes must still answer without.
  await issueApiKey(berth.runtime.store.apiKeys, {
    id: 'key_ops',
    name: 'ops',
    projectId: 'p',
    createdAt: 1,
  });
});
afterAll(async () => {
  await berth.close();
});

async function get(path: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const answer = await fetch(`${origin}${path}`);
  return { status: answer.status, body: await answer.json(), headers: answer.headers };
}

describe('health routes', () => {
  it('answers /healthz without a key while /v1 routes need one', async () => {
    const live = await get('/healthz');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    expect(live.headers.get('x-request-id')).toMatch(/^req_/);
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${berth.baseURL}/models`)).status).toBe(401);
  });

  it('reports ready with each check when the database, sandbox driver and providers are fine', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: {
        database: { status: 'ok' },
        sandbox: { driver: 'none', status: 'ok' },
        providers: { status: 'ok', count: 3 },
      },
    });
  });

  it('is not ready while another process holds the database, and ready again once it lets go', async () => {
    const other = new SQLite(join(berth.dataDir, 'berth.sqlite'));
    try {
      other.exec('BEGIN EXCLUSIVE');
      const locked = await get('/readyz');
      expect(locked.status).toBe(503);
      expect(locked.body).toMatchObject({
        status: 'not_ready',
        checks: {
          database: {
            status: 'failed',
            error: expect.stringMatching(/does not accept writes: database is locked/) as string,
          },
          providers: { status: 'ok' },
        },
      });
      other.exec('ROLLBACK');
      expect((await get('/readyz')).status).toBe(200);
    } finally {
      other.close();
    }
  });
});

const bwrapSkip = process.getuid?.() === 0 ? driverSkipReason('bwrap') : 'needs root for a mount namespace';

describe.skipIf(bwrapSkip !== undefined)(
  `readiness of a real server's sandbox driver${bwrapSkip ? ` (skipped: ${bwrapSkip})` : ''}`,
  () => {
    it('fails the sandbox check while the driver cannot run and passes once it can, and names a missing provider', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'berth-ready-'));
      // The server gets a mount namespace of its own, so breaking bwrap for it (a bind of `false` over
      // the binary, what a bad upgrade does) breaks nothing for the rest of the machine.
      const server = await startBerthProcess(['--data-dir', dataDir, '--init', '--driver', 'bwrap'], {}, [
        'unshare',
        '--mount',
        '--propagation',
        'private',
      ]);
      const readyz = async () => {
        const answer = await fetch(new URL('/readyz', server.url));
        return { status: answer.status, body: (await answer.json()) as { checks: Record<string, unknown> } };
      };
      const inServer = (...command: string[]) =>
        execFileSync('nsenter', ['-t', String(server.child.pid), '-m', ...command]);
      try {
        const before = await readyz();
        // No provider key in its environment and no config: it runs, and says it cannot serve.
        expect(before.status).toBe(503);
        expect(before.body.checks).toEqual({
          database: { status: 'ok' },
          sandbox: { driver: 'bwrap', status: 'ok' },
          providers: {
            status: 'failed',
            count: 0,
            error: expect.stringContaining('OPENAI_API_KEY') as string,
          },
        });
        inServer('mount', '--bind', '/bin/false', '/usr/bin/bwrap');
        let broken = before;
        // A success is reused for 10 s; poll until the next probe runs.
        await until(async () => {
          broken = await readyz();
          return (broken.body.checks.sandbox as { status: string }).status === 'failed';
        }, 250);
        expect(broken.body.checks.sandbox).toEqual({
          driver: 'bwrap',
          status: 'failed',
          error: expect.stringMatching(
            /^The bwrap sandbox driver cannot start sandboxes: bwrap --version failed \(exit 1\)/,
          ) as string,
        });
        inServer('umount', '/usr/bin/bwrap');
        await until(async () => {
          const again = await readyz();
          return (again.body.checks.sandbox as { status: string }).status === 'ok';
        }, 250);
      } finally {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);

const runcSkip = driverSkipReason('runc');

describe.skipIf(runcSkip !== undefined)(
  `readiness after a failed sandbox start${runcSkip ? ` (skipped: ${runcSkip})` : ''}`,
  () => {
    it('fails the sandbox check when the driver answers but its sandbox starts fail, until one succeeds', async () => {
      const directory = mkdtempSync(join(tmpdir(), 'berth-ready-start-'));
      const dataDir = join(directory, 'data');
      // A runc that answers `--version` (the probe) but fails everything else, as runc in a container
      // missing a privilege does; the real one is copied aside for the version.
      const realRunc = join(directory, 'runc-real');
      const runcPath = execFileSync('sh', ['-c', 'command -v runc'], {
        encoding: 'utf8',
        env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
      }).trim();
      copyFileSync(runcPath, realRunc);
      chmodSync(realRunc, 0o755);
      const fakeRunc = join(directory, 'runc-failing');
      writeFileSync(
        fakeRunc,
        `#!/bin/sh\nif [ "$1" = --version ]; then exec ${realRunc} --version; fi\necho "runc run failed: unable to apply cgroup configuration: Operation not permitted" >&2\nexit 1\n`,
      );
      chmodSync(fakeRunc, 0o755);
      // No warm pool: every container starts its sandbox on request.
      const config = join(directory, 'config.json');
      writeFileSync(config, JSON.stringify({ sandbox: { warmPool: 0 } }));
      const server = await startBerthProcess(
        ['--config', config, '--data-dir', dataDir, '--init', '--driver', 'runc'],
        {},
        ['unshare', '--mount', '--propagation', 'private'],
      );
      const sandboxCheck = async () => {
        const answer = await fetch(new URL('/readyz', server.url));
        return ((await answer.json()) as { checks: { sandbox: Record<string, unknown> } }).checks.sandbox;
      };
      const createContainer = () =>
        fetch(new URL('/v1/containers', server.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'probe' }),
        });
      const inServer = (...command: string[]) =>
        execFileSync('nsenter', ['-t', String(server.child.pid), '-m', ...command]);
      try {
        expect(await sandboxCheck()).toEqual({ driver: 'runc', status: 'ok' });
        inServer('mount', '--bind', fakeRunc, runcPath);
        // Starting a container's sandbox now fails.
        expect((await createContainer()).status).toBe(500);
        expect(await sandboxCheck()).toEqual({
          driver: 'runc',
          status: 'failed',
          error: expect.stringMatching(
            /^The runc sandbox driver failed its last sandbox start: .*Operation not permitted/s,
          ) as string,
        });
        inServer('umount', runcPath);
        await until(async () => (await createContainer()).status === 200, 250);
        expect(await sandboxCheck()).toEqual({ driver: 'runc', status: 'ok' });
      } finally {
        await server.stop();
        rmSync(directory, { recursive: true, force: true });
      }
    });
  },
);
