import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSandboxConfig } from '../../config/load-config.js';
import { resolveImage } from '../resolve-image.js';
import type { Sandbox, SandboxDriver, SandboxSpec } from '../sandbox-driver.js';
import { selectDriver } from '../select-driver.js';
import { ShellSession } from '../shell-session.js';
import { sandboxRootId } from '../writable-layer.js';
import { installed } from '../../../test/support/sandbox-drivers-here.js';

const options = { timeoutMs: 20_000, maxOutputBytes: 64 * 1024 };

// What is particular to bwrap, beyond the contract suite: the file system it assembles (a plain
// directory per container, the rest read-only), what the session shell runs as, and what leaks in.
describe.runIf(installed('bwrap'))('BwrapDriver', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bwrap-'));
  let driver: SandboxDriver;
  let spec: SandboxSpec;
  let sandbox: Sandbox;
  let session: ShellSession;

  beforeAll(async () => {
    const choice = await selectDriver({ ...defaultSandboxConfig, driver: 'bwrap' }, dataDir);
    if (!choice.driver) throw new Error(choice.reason);
    driver = choice.driver;
    const dir = join(dataDir, 'sandbox', 'containers', 'cntr_bwraptest');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    spec = {
      id: 'cntr_bwraptest',
      dir,
      image: await resolveImage(dataDir, 'host'),
      limits: { memoryBytes: 512 * 1024 ** 2, pids: 128, cpus: 1, diskBytes: 64 * 1024 ** 2 },
    };
    sandbox = await driver.start(spec);
    session = new ShellSession(sandbox.shellLauncher('default'));
  });

  afterAll(async () => {
    session?.close();
    await driver?.stop(spec.id, spec.dir);
    await driver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes only to the container directories, which are plain host directories kept in its tree', async () => {
    const result = await session.run(
      [
        'for dir in /mnt/data /root /home /opt /tmp /var/tmp; do touch "$dir/probe" && echo "writable $dir"; done',
        'for dir in / /usr /usr/local /etc /.berth /run/..; do touch "$dir/probe" 2>/dev/null || echo "read-only $dir"; done',
        'echo kept > /mnt/data/kept.txt',
      ].join('; '),
      options,
    );
    expect(result.stdout).toBe(
      [
        ...['/mnt/data', '/root', '/home', '/opt', '/tmp', '/var/tmp'].map((dir) => `writable ${dir}`),
        ...['/', '/usr', '/usr/local', '/etc', '/.berth', '/run/..'].map((dir) => `read-only ${dir}`),
        '',
      ].join('\n'),
    );
    const onHost = statSync(join(spec.dir, 'tree', 'mnt', 'data', 'kept.txt'));
    // Root inside is the sandbox's unprivileged uid outside (as root), or the server's own uid.
    expect(onHost.uid).toBe(process.getuid?.() === 0 ? sandboxRootId : process.getuid?.());
  });

  it('runs the shell as root of its user namespace with no capabilities, seccomp and no_new_privs', async () => {
    const result = await session.run(
      'id -u; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/$$/status | tr -s "\\t " " "',
      options,
    );
    expect(result.stdout).toBe(
      '0\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nNoNewPrivs: 1\nSeccomp: 2\n',
    );
  });

  it('keeps the shell out of reach: non-dumpable, its memory and descriptors closed to commands', async () => {
    const result = await session.run(
      [
        // An execute-only bash owned by a uid the namespace does not map still runs, and is not
        // dumpable: its /proc files belong to the real root, so its memory and fds cannot be opened.
        'head -c1 /proc/$$/mem 2>/dev/null || echo "memory closed"',
        'ls /proc/$$/fd 2>/dev/null || echo "descriptors closed"',
        'cat /.berth/bash > /dev/null 2>&1 || echo "binary unreadable"',
      ].join('; '),
      options,
    );
    expect(result.stdout).toBe('memory closed\ndescriptors closed\nbinary unreadable\n');
  });

  it('passes no descriptor of the server into the sandbox', async () => {
    const result = await session.run('ls /proc/self/fd | tr "\\n" " "', options);
    // ls's own 0, 1, 2 and the directory it reads.
    expect(result.stdout).toBe('0 1 2 3 ');
  });

  it('has loopback only and the sandbox hostname', async () => {
    const result = await session.run(
      'hostname; ls /sys/class/net 2>/dev/null || cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "',
      options,
    );
    expect(result.stdout).toBe('berth\nlo\n');
  });
});
