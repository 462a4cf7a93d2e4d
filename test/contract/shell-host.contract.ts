import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/berth-error.js';
import type { CommandResult, ExecRequest, ShellHost } from '../../src/containers/shell-host.js';

/** A host to check, with the project its containers belong to and how to tear it down. */
export interface ShellHostUnderTest {
  /** The host. */
  readonly host: ShellHost;
  /** The project the suite creates its container in. */
  readonly projectId: string;
  /** Another project, whose view of the suite's container must be a 404. */
  readonly otherProjectId: string;
  /** Stops what the host started and removes what it wrote. */
  close(): Promise<void>;
}

/** What `contractCommands.slow` prints first. */
export const startedLine = 'started-and-now-sleeping-for-thirty-seconds-unless-it-is-interrupted';

/**
 * The command lines the suite runs. A real host runs them in bash; a scripted host's script must
 * answer each of them the way bash would (the suite checks the host's plumbing, not bash).
 */
export const contractCommands = {
  /** stdout `hello\n`, exit 0. */
  hello: 'echo hello',
  /** Exit 3, without ending the session's shell. */
  exitThree: '(exit 3)',
  /** stderr `oops\n`, nothing on stdout. */
  toStderr: 'echo oops >&2',
  /** Leaves the session in /tmp with CONTRACT_MARK=kept. */
  setState: 'cd /tmp && export CONTRACT_MARK=kept',
  /** stdout `<cwd> [<CONTRACT_MARK>]\n`. */
  showState: 'echo "$PWD [$CONTRACT_MARK]"',
  /**
   * A line starting `started`, then 30 s, then `finished\n`: the command to interrupt. The line is
   * long because a real session streams a command's last few dozen bytes only once more follow (they
   * could be the start of its end marker), and the suite aborts when it sees `started` stream.
   */
  slow: `echo ${startedLine}; sleep 30; echo finished`,
  /** Writes the 5 bytes `data\n` to /mnt/data/contract.txt. */
  writeFile: 'echo data > /mnt/data/contract.txt',
} as const;

/** Generous enough for a cold gVisor shell; no test compares a duration with it. */
const timeoutMs = 60_000;

function exit(code: number): CommandResult['outcome'] {
  return { type: 'exit', exit_code: code };
}

/**
 * What every `ShellHost` promises the engine: the in-memory host of the engine's unit tests and
 * `ContainerService` on every sandbox driver run the same cases, so a unit test's host behaves as
 * production's does where the engine can tell.
 */
export function shellHostContract(name: string, open: () => Promise<ShellHostUnderTest>): void {
  describe(`ShellHost contract: ${name}`, () => {
    let subject: ShellHostUnderTest | undefined;
    let containerId = '';

    beforeAll(async () => {
      subject = await open();
      const created = await subject.host.create(subject.projectId, {
        name: 'contract',
        expiresAfterMinutes: 20,
        memoryLimit: '1g',
        fileIds: [],
      });
      containerId = created.id;
    }, 120_000);

    afterAll(async () => {
      await subject?.close();
    }, 120_000);

    function under(): ShellHostUnderTest {
      if (!subject) throw new Error('the host did not open');
      return subject;
    }

    function exec(
      commands: readonly string[],
      session: string,
      options: Partial<ExecRequest> = {},
    ): Promise<readonly CommandResult[]> {
      const { host, projectId } = under();
      return host.exec(projectId, containerId, {
        commands,
        session,
        timeoutMs,
        maxOutputBytes: 64 * 1024,
        ...options,
      });
    }

    // Sessions: `default` for stateless cases, one per stateful case — fewer than the 8 a container may have.
    it('creates a running container with no skills, and echo answers on stdout with exit 0', async () => {
      const { host, projectId } = under();
      expect(containerId).toMatch(/^cntr_/);
      expect(await host.getRunning(projectId, containerId)).toMatchObject({ id: containerId });
      expect(await host.skillsOf(projectId, containerId)).toEqual([]);
      expect(host.commandTimeoutMs).toBeGreaterThan(0);
      expect(await exec([contractCommands.hello], 'default')).toEqual([
        { stdout: 'hello\n', stderr: '', outcome: exit(0) },
      ]);
    }, 120_000);

    it('reports each command’s exit code and runs the next one after a failure', async () => {
      const results = await exec([contractCommands.exitThree, contractCommands.hello], 'default');
      expect(results.map((result) => result.outcome)).toEqual([exit(3), exit(0)]);
    }, 120_000);

    it('keeps stderr apart from stdout', async () => {
      expect(await exec([contractCommands.toStderr], 'default')).toEqual([
        { stdout: '', stderr: 'oops\n', outcome: exit(0) },
      ]);
    }, 120_000);

    it('keeps a session’s state (cd, export) between commands and requests, and not across sessions', async () => {
      const first = await exec([contractCommands.setState, contractCommands.showState], 'state');
      expect(first.map((result) => result.stdout)).toEqual(['', '/tmp [kept]\n']);
      const later = await exec([contractCommands.showState], 'state');
      expect(later.map((result) => result.stdout)).toEqual(['/tmp [kept]\n']);
      const other = await exec([contractCommands.showState], 'state-other');
      expect(other.map((result) => result.stdout)).toEqual(['/mnt/data []\n']);
    }, 120_000);

    it('calls back in order per command: start, its output, done with the result it answers', async () => {
      const events: string[] = [];
      const streamed: string[] = ['', ''];
      const done: CommandResult[] = [];
      const results = await exec([contractCommands.hello, contractCommands.toStderr], 'default', {
        onCommandStart: (index) => events.push(`start ${index}`),
        onOutput: (index, stream, chunk) => {
          // Chunks may split anywhere: consecutive output of one command and stream counts once.
          const event = `${stream} ${index}`;
          if (events.at(-1) !== event) events.push(event);
          streamed[index] += chunk.toString('utf8');
        },
        onCommandDone: (index, result) => {
          events.push(`done ${index}`);
          done[index] = result;
        },
      });
      expect(events).toEqual(['start 0', 'stdout 0', 'done 0', 'start 1', 'stderr 1', 'done 1']);
      expect(streamed).toEqual(['hello\n', 'oops\n']);
      expect(done).toEqual(results);
    }, 120_000);

    it('interrupts the running command on abort, runs no further ones, and the session survives', async () => {
      const controller = new AbortController();
      const results = await exec(
        [contractCommands.setState, contractCommands.slow, contractCommands.hello],
        'abort',
        {
          signal: controller.signal,
          onOutput: (index, stream, chunk) => {
            if (index === 1 && chunk.toString('utf8').includes('started')) controller.abort();
          },
        },
      );
      expect(results).toHaveLength(2);
      // stderr is the shell's to fill on SIGINT (bash may complain it has no terminal): not checked.
      expect(results[1]).toMatchObject({ stdout: `${startedLine}\n`, outcome: exit(130) });
      const after = await exec([contractCommands.showState], 'abort');
      expect(after).toEqual([{ stdout: '/tmp [kept]\n', stderr: '', outcome: exit(0) }]);
    }, 120_000);

    it('reports a command that outlives its timeout as a timeout, and the session survives', async () => {
      await exec([contractCommands.setState], 'timeout');
      const [result] = await exec([contractCommands.slow], 'timeout', { timeoutMs: 2_000 });
      expect(result?.outcome).toEqual({ type: 'timeout' });
      expect(result?.stdout).not.toContain('finished');
      const after = await exec([contractCommands.showState], 'timeout');
      expect(after).toEqual([{ stdout: '/tmp [kept]\n', stderr: '', outcome: exit(0) }]);
    }, 120_000);

    it('answers not_found (404) for an unknown container and for another project’s', async () => {
      const { host, projectId, otherProjectId } = under();
      const unknown = 'cntr_doesnotexist0000000000000000';
      const attempts: [string, string][] = [
        [projectId, unknown],
        [otherProjectId, containerId],
      ];
      for (const [project, id] of attempts) {
        const calls: Promise<unknown>[] = [
          host.getRunning(project, id),
          host.skillsOf(project, id),
          host.allFiles(project, id),
          host.exec(project, id, { commands: ['true'], session: 'x', timeoutMs, maxOutputBytes: 1024 }),
        ];
        for (const call of calls) {
          const error: unknown = await call.then(
            () => undefined,
            (rejection: unknown) => rejection,
          );
          expect(error).toBeInstanceOf(BerthError);
          expect(error).toMatchObject({ code: 'not_found', status: 404 });
        }
      }
    }, 120_000);

    it('lists a file a command wrote under /mnt/data', async () => {
      const { host, projectId } = under();
      const before = await host.allFiles(projectId, containerId);
      expect(before.map((file) => file.path)).not.toContain('/mnt/data/contract.txt');
      await exec([contractCommands.writeFile], 'default');
      const files = await host.allFiles(projectId, containerId);
      expect(files.find((file) => file.path === '/mnt/data/contract.txt')).toMatchObject({
        containerId,
        bytes: 5,
        source: 'assistant',
      });
    }, 120_000);
  });
}
