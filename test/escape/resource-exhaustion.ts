import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeDiskBytes, expectFailure, marker, type EscapeBerth } from './escape-berth.js';
import { until } from '../support/until.js';
import { allocatedBytes, hostCgroupsNamed } from '../support/host-observations.js';

const mebibyte = 1024 * 1024;

/** The heap in use after a full garbage collection: what the server really holds on to. */
function liveHeapBytes(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Resource exhaustion: every bomb stops at the container's own limit, is explained in the command's
 * stderr, and leaves the container, its neighbours and the server working.
 */
export function describeResourceExhaustion(escape: EscapeBerth): void {
  describe('resource exhaustion', () => {
    let bystander: string;

    beforeAll(async () => {
      bystander = await escape.createContainer('alpha', 'bystander');
    });

    /** Each container answers a command (in `session`), and the server answers about it. */
    async function stillWorking(containers: readonly string[], session?: string): Promise<void> {
      for (const id of [...containers, bystander]) {
        const ok = await escape.run('alpha', id, 'echo ok', session ? { session } : {});
        expect(ok, id).toMatchObject({ stdout: 'ok\n', outcome: { type: 'exit', exit_code: 0 } });
        expect((await escape.client('alpha').containers.retrieve(id)).status).toBe('running');
      }
    }

    /** What the driver says it enforces per process (gVisor's limits apply to the whole sandbox). */
    const enforces = () => {
      const driver = escape.berth.runtime.sandbox.driver;
      if (!driver) throw new Error('no sandbox driver');
      return driver.capabilities;
    };
    const restarted =
      "[berth] the container's sandbox stopped working and is being restarted: its files are kept, its shell state is lost.";
    const pidsNote =
      /\[berth\] new processes were refused: the container reached its limit of \d+ processes\./;
    const memoryNote = '[berth] a process was killed: the container reached its memory limit (1g).';

    /**
     * Forks the container's pids cgroup has refused so far (read on the host), with those its shell
     * sessions' cgroups under it counted (cgroup v1 counts a refusal where the process is).
     */
    function refusedForks(container: string): number {
      let refused = 0;
      for (const dir of hostCgroupsNamed(container)) {
        const sessions = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
        for (const at of [dir, ...sessions.map((entry) => `${dir}/${entry.name}`)]) {
          try {
            const events = readFileSync(`${at}/pids.events`, 'utf8');
            refused += Number(/^max (\d+)/m.exec(events)?.[1] ?? 0);
          } catch {
            // Not the pids controller's directory.
          }
        }
      }
      return refused;
    }

    /** Processes in the container now: once a bomb is cleaned up, only its idle few (shell, ps, wc). */
    async function processCount(container: string): Promise<number> {
      const count = await escape.run('alpha', container, 'ps -e --no-headers | wc -l');
      expect(count.outcome, count.stderr).toEqual({ type: 'exit', exit_code: 0 });
      return Number(count.stdout);
    }

    // Each bomb gets a container of its own, so one that takes its container down does not hide what
    // the next one does. What happens differs by driver, and each test says exactly what, and why.
    it('stops a fork bomb at the pids limit, says so, and leaves nothing of it running', async () => {
      const container = await escape.createContainer('alpha', 'fork-bomb');
      if (enforces().pidsLimit) {
        // runc and bwrap: the container's own cgroup refuses the fork past its pids limit; the bomb
        // keeps retrying until the command's timeout, and the timeout kills every copy. The timeout
        // must come after the bomb reached the limit: alone that takes well under a second, but with
        // the machine saturated (three test files and a browser on two cores) a 5 s timeout once came
        // first, with no fork refused yet. 30 s leaves a wide margin; the test takes that long.
        const bomb = await escape.run('alpha', container, ':(){ :|:& };:; sleep 60', { timeoutMs: 30_000 });
        expect(bomb.outcome).toEqual({ type: 'timeout' });
        expect(bomb.stderr).toMatch(pidsNote);
        expect(bomb.stderr).not.toContain(restarted);
        // The last SIGKILLed copies take a moment to exit; no deadline but the test's own.
        await until(async () => (await processCount(container)) < 10);
      } else {
        // runsc: gVisor runs every process of the sandbox inside its own kernel, and the host cgroup
        // around the whole sandbox bounds the sentry's threads (the pids limit times the host tasks each
        // sandboxed process costs). The bomb takes the sentry past it, the sentry can no longer run and
        // the sandbox dies: `runsc exec` reports the lost sandbox (exit 128), Berth says the limit was
        // hit and restarts the sandbox from its files. The sleep and the timeout are long so the
        // sandbox's end, not the command's, always ends it: it takes seconds here, but a busy machine
        // once took the sentry more than 30 s to fork its way to the limit, and `sleep 30` won.
        const bomb = await escape.run('alpha', container, ':(){ :|:& };:; sleep 150', {
          timeoutMs: 160_000,
        });
        expect(bomb.outcome).toEqual({ type: 'exit', exit_code: 128 });
        expect(bomb.stderr).toMatch(pidsNote);
        expect(bomb.stderr).toContain(restarted);
        // The restarted sandbox is a new one: nothing of the bomb came along.
        expect(await processCount(container)).toBeLessThan(10);
      }
      await stillWorking([container]);
      // Longer than the runsc command's own 160 s timeout, so the sandbox's end decides, as said above;
      // a loaded machine takes gVisor's sentry many seconds to fork its way to the limit.
    }, 240_000);

    it('kills a fork bomb its command left running once it reaches the limit; the session keeps its state', async ({
      skip,
    }) => {
      // runsc: such a bomb takes the whole sandbox down (see above), which the restart handles.
      if (!enforces().pidsLimit) skip('the pids limit applies to the whole gVisor sandbox');
      const container = await escape.createContainer('alpha', 'fork-bomb-left-running');
      await escape.run('alpha', container, 'cd /tmp; KEPT=yes');
      // The command returns at once; its copies go on forking until the container's limit refuses them.
      const bomb = await escape.run('alpha', container, ':(){ :|:& };: ; echo returned');
      expect(bomb).toMatchObject({ stdout: 'returned\n', outcome: { type: 'exit', exit_code: 0 } });
      await until(() => refusedForks(container) > 0);
      // The next command is not refused: the bomb is killed first, and the shell's state is there.
      const next = await escape.run('alpha', container, 'echo "$KEPT $(pwd)"');
      expect(next).toMatchObject({ stdout: 'yes /tmp\n', outcome: { type: 'exit', exit_code: 0 } });
      expect(next.stderr).toMatch(
        /^\[berth\] the processes the previous command left running reached the container's limit of \d+ processes and were killed\.\n/,
      );
      expect(next.stderr).not.toContain(restarted);
      await until(async () => (await processCount(container)) < 10);
      await stillWorking([container]);
    });

    it('a command that times out takes every process it started with it, also those that left its session', async ({
      skip,
    }) => {
      // runsc: the host cannot tell gVisor's processes apart by session, and its supervisor finds a
      // command's processes by session only (see session-cgroup.ts).
      if (escape.driver === 'runsc') skip("gVisor's processes are not the host's: no session cgroup");
      const container = await escape.createContainer('alpha', 'timeout-containment');
      const name = marker('berth-contained');
      // An earlier command's background job stays: only what the timed-out command started goes.
      const kept = await escape.run(
        'alpha',
        container,
        `cd /tmp; KEPT=yes; (exec -a ${name}-kept sleep 1000) >/dev/null 2>&1 & until ps -eo args | grep -q "^${name}-kept"; do sleep 0.01; done`,
      );
      expect(kept.outcome).toEqual({ type: 'exit', exit_code: 0 });
      const escapees = [
        // A new session, deaf to every signal but SIGKILL.
        `setsid bash -c 'trap "" HUP INT TERM; exec -a ${name}-setsid sleep 1000' >/dev/null 2>&1 &`,
        // A daemon's double fork: its own session, its parent gone, re-parented to the sandbox's init.
        `(setsid bash -c '(trap "" HUP INT TERM; exec -a ${name}-daemon sleep 1000) &' >/dev/null 2>&1 &)`,
        `(exec -a ${name}-job sleep 1000) >/dev/null 2>&1 &`,
        `for job in setsid daemon job; do until ps -eo args | grep -q "^${name}-$job"; do sleep 0.01; done; done`,
        'sleep 1000',
      ].join('\n');
      const stopped = await escape.run('alpha', container, escapees, { timeoutMs: 3_000 });
      expect(stopped.outcome).toEqual({ type: 'timeout' });
      const left = await escape.run('alpha', container, `ps -eo args | grep "^${name}-" || true`);
      expect(left.stdout).toBe(`${name}-kept 1000\n`);
      // And the shell is the one it was.
      const state = await escape.run('alpha', container, 'echo "$KEPT $(pwd)"');
      expect(state).toMatchObject({ stdout: 'yes /tmp\n', outcome: { type: 'exit', exit_code: 0 } });
    });

    it('kills a memory bomb at the memory limit, says so, and the container keeps working', async () => {
      const container = await escape.createContainer('alpha', 'memory-bomb');
      const bomb = await escape.run(
        'alpha',
        container,
        `python3 -c 'b = b"x" * (1536 * 1024 * 1024); print("allocated")'`,
      );
      expect(bomb.stdout).toBe('');
      expect(bomb.stderr).toContain(memoryNote);
      if (enforces().memoryLimit) {
        // runc and bwrap: the container's memory cgroup OOM-kills the process alone (SIGKILL: 137);
        // the shell and the sandbox carry on.
        expect(bomb.outcome).toEqual({ type: 'exit', exit_code: 137 });
        expect(bomb.stderr).not.toContain(restarted);
      } else {
        // runsc: the memory limit is on the host cgroup around the whole sandbox (gVisor's kernel and
        // everything in it), so the OOM kill takes the sandbox: `runsc exec` reports the lost sandbox
        // (exit 128), and Berth restarts it from its files.
        expect(bomb.outcome).toEqual({ type: 'exit', exit_code: 128 });
        expect(bomb.stderr).toContain(restarted);
      }
      await stillWorking([container]);
    });

    it('stops a disk fill at the quota: ENOSPC inside, and the host gives no more than diskBytes', async ({
      skip,
    }) => {
      // Said in the README: this driver cannot bound a container's disk, and filling it would fill
      // the host's.
      skip(!enforces().diskQuota, `the ${escape.driver} driver has no disk quota (see the README)`);
      const disk = await escape.createContainer('alpha', 'disk');
      const directory = `${escape.dataDir}/sandbox/containers/${disk}`;
      const dataDirBefore = allocatedBytes(escape.dataDir);
      const [fill, size] = await escape.exec('alpha', disk, [
        // Bounded: past the quota by 16 MiB, so a sandbox without one fails here without filling the host.
        `dd if=/dev/zero of=/mnt/data/big bs=1M count=${escapeDiskBytes / mebibyte + 16}`,
        'wc -c < /mnt/data/big',
        // The rest of the writable tree is the same disk, or memory; either way not more host disk.
        'dd if=/dev/zero of=/tmp/big bs=1M count=16',
      ]);
      expectFailure(fill, 1, /dd: error writing '\/mnt\/data\/big': No space left on device/);
      expect(Number(size?.stdout)).toBeLessThan(escapeDiskBytes);
      expect(allocatedBytes(directory)).toBeLessThanOrEqual(escapeDiskBytes);
      expect(allocatedBytes(escape.dataDir) - dataDirBefore).toBeLessThanOrEqual(escapeDiskBytes);
      const freed = await escape.run(
        'alpha',
        disk,
        'rm -f /mnt/data/big /tmp/big && echo freed > /mnt/data/after',
      );
      expect(freed.outcome).toEqual({ type: 'exit', exit_code: 0 });
      await escape.client('alpha').containers.delete(disk);
    });

    it('caps a flood of output with a note of what was dropped, and keeps answering meanwhile', async () => {
      const container = await escape.createContainer('alpha', 'flood');
      const flood = escape.run('alpha', container, 'yes | head -c 200M');
      // Another session of the same container, and other containers, while the flood runs.
      await stillWorking([container], 'meanwhile');
      const result = await flood;
      const limit = 256 * 1024;
      const dropped = 200 * mebibyte - limit;
      const note = `\n[… ${dropped} bytes of output dropped …]\n`;
      expect(result.outcome).toEqual({ type: 'exit', exit_code: 0 });
      expect(result.stdout).toContain(note);
      expect(Buffer.byteLength(result.stdout)).toBe(limit + Buffer.byteLength(note));
      expect(result.stdout.replace(note, '')).toBe('y\n'.repeat(limit / 2));
      await stillWorking([container]);
    });

    it('answers an exec whose output fills every cap it allows with a result or a 4xx, never a 500', async () => {
      const container = await escape.createContainer('alpha', 'full-caps');
      // Within the documented ceilings (max_output_length 8 MiB of each stream per command): NUL bytes,
      // which JSON writes as six characters each, from 8 commands — 128 MiB of output in all.
      const answer = await escape.request('POST', `/v1/containers/${container}/exec`, {
        json: {
          commands: Array<string>(8).fill('head -c 8M /dev/zero; head -c 8M /dev/zero >&2'),
          max_output_length: 8 * mebibyte,
        },
      });
      expect.soft(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
      await stillWorking([container]);
    });

    it('does not hold a streamed flood in the server for a client that does not read it', async () => {
      const flood = await escape.createContainer('alpha', 'stream-flood');
      const baseline = liveHeapBytes();
      let request: ClientRequest | undefined;
      const status = new Promise<number>((resolve, reject) => {
        request = httpRequest(
          `${escape.berth.baseURL}/containers/${flood}/exec`,
          {
            method: 'POST',
            agent: false,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${escape.apiKey('alpha')}`,
            },
          },
          (response) => {
            // Never read: the client is slow (or gone without closing).
            response.pause();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.end(
          JSON.stringify({
            commands: ['yes | head -c 256M; touch /mnt/data/flood-done'],
            stream: true,
          }),
        );
      });
      try {
        expect(await status).toBe(200);
        // Wait (boundedly) for the command to finish; a server that applies back-pressure keeps it
        // waiting instead, which is just as good.
        for (let poll = 0; poll < 40; poll += 1) {
          const done = await escape.run('alpha', flood, 'test -e /mnt/data/flood-done', { session: 'poll' });
          if (done.outcome.type === 'exit' && done.outcome.exit_code === 0) break;
          await sleep(250);
        }
        const held = liveHeapBytes() - baseline;
        expect(held, `the server holds ${Math.round(held / mebibyte)} MiB of unread output`).toBeLessThan(
          64 * mebibyte,
        );
      } finally {
        request?.destroy();
      }
      await escape.client('alpha').containers.delete(flood);
    });
  });
}
