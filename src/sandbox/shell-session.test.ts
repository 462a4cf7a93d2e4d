import { afterEach, describe, expect, it } from 'vitest';
import { ShellSession } from './shell-session.js';

// These tests run the session's bash directly on the test machine (no sandbox): they cover the
// protocol — state, framing, the status channel, timeouts — which every sandbox driver shares.
const bash = {
  command: '/bin/bash',
  args: ['--norc', '--noprofile', '--noediting', '-i'],
  env: { PATH: '/usr/bin:/bin' },
};
const options = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };

let session: ShellSession;
afterEach(() => session.close());

describe('ShellSession', () => {
  it('keeps cd, variables and functions between commands', async () => {
    session = new ShellSession(bash);
    expect(await session.run('cd /tmp && export GREETING=hello && shout() { echo "$1!"; }', options)).toEqual(
      {
        stdout: '',
        stderr: '',
        outcome: { type: 'exit', exit_code: 0 },
      },
    );
    const next = await session.run('pwd; echo "$GREETING"; shout hi', options);
    expect(next.stdout).toBe('/tmp\nhello\nhi!\n');
  });

  it('separates stdout and stderr and reports exit codes', async () => {
    session = new ShellSession(bash);
    const result = await session.run('echo out; echo err >&2; (exit 42)', options);
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', outcome: { type: 'exit', exit_code: 42 } });
    expect((await session.run('false', options)).outcome).toEqual({ type: 'exit', exit_code: 1 });
    expect((await session.run('echo "$?"', options)).stdout).toBe('1\n');
    expect((await session.run('if then', options)).outcome).toEqual({ type: 'exit', exit_code: 2 });
  });

  it('carries any bytes of a command and its output intact', async () => {
    session = new ShellSession(bash);
    const tricky = `printf '%s\\n' 'quote '"'"' back\\\\slash' "tab	and $((6*7))" 'ünïcödé ✓'`;
    const result = await session.run(tricky, options);
    expect(result.stdout).toBe("quote ' back\\\\slash\ntab\tand 42\nünïcödé ✓\n");
    const multiline = await session.run('for i in 1 2\ndo\n  echo "line $i"\ndone', options);
    expect(multiline.stdout).toBe('line 1\nline 2\n');
  });

  it('cannot be fooled by output that imitates the framing or the status channel', async () => {
    session = new ShellSession(bash);
    const result = await session.run(
      `printf '\\001SHdeadbeefE\\002'; echo 'deadbeef 0'; echo spoof >&3; echo spoof >&59; exit_code=7; (exit 7)`,
      options,
    );
    expect(result.outcome).toEqual({ type: 'exit', exit_code: 7 });
    expect(result.stdout).toContain('deadbeef 0');
    expect(result.stderr).toMatch(/Bad file descriptor/);
    const stdin = await session.run('cat; read -r line; echo "read: $?"', options);
    expect(stdin.stdout).toBe('read: 1\n');
  });

  it('times out a builtin loop in the shell itself and keeps the session and its state', async () => {
    session = new ShellSession(bash);
    await session.run('cd /tmp; KEEP=yes', options);
    const result = await session.run('while :; do :; done', { ...options, timeoutMs: 200 });
    expect(result.outcome).toEqual({ type: 'timeout' });
    const after = await session.run('pwd; echo "$KEEP"', options);
    expect(after).toEqual({ stdout: '/tmp\nyes\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } });
  });

  it('times out a command and kills every process it started', async () => {
    session = new ShellSession(bash);
    // The timeout counts from when the command is handed to the shell: start the shell first, so the
    // whole timeout is the command's, and "started" (printed at once) is in well before it.
    await session.run('true', options);
    const result = await session.run(
      "sh -c 'sleep 60.4321 & sleep 60.4321 & echo started; wait'; echo NOT-REACHED",
      { ...options, timeoutMs: 1_000 },
    );
    expect(result.outcome).toEqual({ type: 'timeout' });
    expect(result.stdout).toContain('started');
    expect(result.stdout).not.toContain('NOT-REACHED');
    const survivors = await session.run("pgrep -f 'sleep 60.4321' || echo none", options);
    expect(survivors.stdout).toBe('none\n');
  });

  it('kills a command that ignores SIGINT', async () => {
    session = new ShellSession(bash);
    const result = await session.run('sh -c \'trap "" INT; sleep 60\'', { ...options, timeoutMs: 200 });
    expect(result.outcome).toEqual({ type: 'timeout' });
    expect((await session.run('echo alive', options)).stdout).toBe('alive\n');
  });

  it('caps a flood of output, keeping head and tail and saying how much was dropped', async () => {
    session = new ShellSession(bash);
    const result = await session.run('echo BEGIN; head -c 1000000 /dev/zero | tr "\\0" x; echo; echo END', {
      ...options,
      maxOutputBytes: 1000,
    });
    expect(result.stdout.startsWith('BEGIN\nxxx')).toBe(true);
    expect(result.stdout.endsWith('xxx\nEND\n')).toBe(true);
    expect(result.stdout).toMatch(/\[… \d+ bytes of output dropped …\]/);
    expect(result.stdout.length).toBeLessThan(1100);
  });

  it('starts a new shell after the old one exits, without its state', async () => {
    session = new ShellSession(bash);
    await session.run('export GONE=1', options);
    // exit in a subshell ends the subshell only.
    expect(await session.run('(exit 4); echo "$? $GONE"', options)).toMatchObject({ stdout: '4 1\n' });
    const exit = await session.run('echo out; exit 3', options);
    expect(exit).toEqual({ stdout: 'out\n', stderr: '', outcome: { type: 'exit', exit_code: 3 } });
    const fresh = await session.run('echo "[$GONE]"', options);
    expect(fresh.stdout).toBe('[]\n');
  });

  it('says why when the shell cannot be started, and not when the first command ends it', async () => {
    // A launcher that fails the way `runc exec` does for a container that is gone.
    session = new ShellSession({
      command: 'sh',
      args: ['-c', 'echo "container cntr_x does not exist" >&2; exit 1'],
      env: { PATH: process.env.PATH ?? '' },
      pidFile: '/nonexistent/session.pid',
    });
    const failed = await session.run('echo never', options);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe(
      "[berth] the session's shell could not be started: container cntr_x does not exist\n",
    );
    session.close();

    session = new ShellSession(bash);
    expect(await session.run('exit 3', options)).toEqual({
      stdout: '',
      stderr: '',
      outcome: { type: 'exit', exit_code: 3 },
    });
  });

  it('runs queued commands in order', async () => {
    session = new ShellSession(bash);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => session.run(`echo ${index}`, options)),
    );
    expect(results.map((result) => result.stdout)).toEqual(
      Array.from({ length: 20 }, (_, index) => `${index}\n`),
    );
  });
});
