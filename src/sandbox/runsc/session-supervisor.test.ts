import { afterEach, describe, expect, it } from 'vitest';
import { hostSeccompArch } from '../seccomp-bpf.js';
import type { ShellLauncher } from '../shell-launcher.js';
import { ShellSession } from '../shell-session.js';
import { supervisedShellArgv } from './session-supervisor.js';

// The supervisor runs here on the host, exactly as runsc's launcher runs it inside gVisor but without
// runsc: fd 3 moved onto its stdin, bash under it. What it must do is the same in both places.
const arch = hostSeccompArch();
const launcher = (): ShellLauncher => ({
  command: '/bin/sh',
  args: [
    '-c',
    'exec "$0" "$@" <&3 3<&-',
    ...supervisedShellArgv(arch ?? 'x64', ['/bin/bash', '--norc', '--noprofile', '--noediting', '-i']),
  ],
  env: { PATH: '/usr/bin:/bin' },
  supervised: true,
});
const options = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };

let session: ShellSession | undefined;
afterEach(() => session?.close());

describe.runIf(arch !== undefined)('the runsc session supervisor', () => {
  it('relays commands, keeps state and reports statuses, the shell exiting included', async () => {
    session = new ShellSession(launcher());
    await session.run('cd /tmp; X=41', options);
    expect(await session.run('echo "$(pwd) $((X + 1))"; echo err >&2; (exit 42)', options)).toEqual({
      stdout: '/tmp 42\n',
      stderr: 'err\n',
      outcome: { type: 'exit', exit_code: 42 },
    });
    expect((await session.run('exit 3', options)).outcome).toEqual({ type: 'exit', exit_code: 3 });
    expect((await session.run('echo "[$X]"', options)).stdout).toBe('[]\n');
  });

  it('relays a command line longer than one read of the input', async () => {
    session = new ShellSession(launcher());
    const result = await session.run(`echo ${'x'.repeat(200_000)} | wc -c`, options);
    expect(result.stdout).toBe('200001\n');
  });

  it('keeps the status channel and the shell out of reach of commands', async () => {
    session = new ShellSession(launcher());
    const result = await session.run(
      [
        'echo spoof >&3; echo spoof >&59',
        // The shell's input and status are sockets: neither can be reopened through /proc to type
        // into the shell or to write its status.
        'for fd in /proc/$$/fd/*; do [[ $(readlink $fd) == socket:* ]] && (exec 7>"$fd") 2>/dev/null && echo "reopened $fd"; done',
        'grep -c "^Seccomp:.*2" /proc/self/status',
        'unshare --user true 2>/dev/null || echo "unshare refused"',
      ].join('; '),
      options,
    );
    expect(result.outcome).toEqual({ type: 'exit', exit_code: 0 });
    expect(result.stdout).toBe('1\nunshare refused\n');
    expect(result.stderr).toMatch(/3: Bad file descriptor[\s\S]*59: Bad file descriptor/);
  });

  it("kills a timed-out command's process groups but not an earlier command's background job", async () => {
    session = new ShellSession(launcher());
    await session.run('sleep 61.2345 & KEEP=yes', options);
    const result = await session.run("sh -c 'sleep 62.3456 & sleep 62.3456 & wait'; echo NOT-REACHED", {
      ...options,
      timeoutMs: 300,
    });
    expect(result.outcome).toEqual({ type: 'timeout' });
    expect(result.stdout).toBe('');
    const left = await session.run(
      'echo "$KEEP"; pgrep -c -f "sleep 62.3456" || true; pgrep -c -f "sleep 61.2345"',
      options,
    );
    expect(left.stdout).toBe('yes\n0\n1\n');
  });

  it('kills a builtin loop and a command that ignores SIGINT', async () => {
    session = new ShellSession(launcher());
    expect((await session.run('while :; do :; done', { ...options, timeoutMs: 200 })).outcome).toEqual({
      type: 'timeout',
    });
    expect(
      (await session.run('sh -c \'trap "" INT; sleep 60\'', { ...options, timeoutMs: 200 })).outcome,
    ).toEqual({ type: 'timeout' });
    expect((await session.run('echo alive', options)).stdout).toBe('alive\n');
  });
});
