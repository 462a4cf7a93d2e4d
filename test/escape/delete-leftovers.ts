import { describe, expect, it } from 'vitest';
import { until } from '../support/until.js';
import { marker, type EscapeBerth } from './escape-berth.js';
import {
  hostCgroupsNamed,
  hostMountsMentioning,
  hostPathsNamed,
  hostProcessesMentioning,
} from '../support/host-observations.js';

/** Deleting a container ends everything it started, however it tried to hide, and unmounts its disk. */
export function describeDeleteLeftovers(escape: EscapeBerth): void {
  describe('container deletion', () => {
    it('leaves no process, mount, cgroup or file of the container on the host', async () => {
      const client = escape.client('alpha');
      const id = await escape.createContainer('alpha', 'doomed');
      const name = marker('berth-leftover');
      const started = await escape.exec('alpha', id, [
        `(exec -a ${name}-background sleep 1000) >/dev/null 2>&1 &`,
        // A daemon in a session of its own, deaf to every signal but SIGKILL.
        `setsid nohup bash -c 'trap "" HUP INT TERM; exec -a ${name}-daemon sleep 1000' >/dev/null 2>&1 &`,
        `(trap '' HUP INT TERM; exec -a ${name}-disowned sleep 1000) >/dev/null 2>&1 & disown`,
        // Each takes its name only once it has exec'd; wait for that here, not race it below.
        `for job in background daemon disowned; do until ps -eo args | grep -q "^${name}-$job"; do sleep 0.01; done; done`,
      ]);
      for (const result of started) expect(result.outcome).toEqual({ type: 'exit', exit_code: 0 });
      // And a command still running in another session when the delete comes.
      const running = escape.request('POST', `/v1/containers/${id}/exec`, {
        json: { commands: [`touch /mnt/data/busy; exec -a ${name}-running sleep 1000`], session: 'busy' },
      });
      await until(async () => {
        const started = await escape.run('alpha', id, 'test -e /mnt/data/busy');
        return started.outcome.type === 'exit' && started.outcome.exit_code === 0;
      }, 100);
      // The session that started them sees them (sessions may not see each other's processes).
      const seen = await escape.run('alpha', id, 'ps -eo args');
      for (const suffix of ['background', 'daemon', 'disowned'])
        expect(seen.stdout).toContain(`${name}-${suffix}`);
      // The host sees them (or, under gVisor, the sandbox processes that carry them).
      expect([...hostProcessesMentioning(name), ...hostProcessesMentioning(id)].length).toBeGreaterThan(0);

      await client.containers.delete(id);
      // Gone for the API at once; its sandbox is torn down behind the answer.
      await expect(client.containers.retrieve(id)).rejects.toMatchObject({ status: 404 });
      await escape.berth.runtime.containers.teardownsDone();

      expect(hostProcessesMentioning(name)).toEqual([]);
      expect(hostProcessesMentioning(id)).toEqual([]);
      expect(hostMountsMentioning(id)).toEqual([]);
      expect(hostCgroupsNamed(id)).toEqual([]);
      expect(hostPathsNamed(id, escape.dataDir)).toEqual([]);
      // The command that was running is over, one way or the other, and the container is gone.
      expect((await running).status).toBeLessThan(600);
      await expect(client.containers.retrieve(id)).rejects.toMatchObject({ status: 404 });
    });
  });
}
