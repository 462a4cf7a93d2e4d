import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, marker, type EscapeBerth } from './escape-berth.js';
import { hostBlockDevices } from '../support/host-observations.js';

/** A python helper: `call(name, number, *args)` makes one raw system call and prints `name RESULT`. */
const syscallPython = `
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def call(name, number, *args):
    result = libc.syscall(number, *args)
    print(name, errno.errorcode[ctypes.get_errno()] if result < 0 else "ok", flush=True)
`;

function syscalls(lines: string): string {
  return `python3 - <<'PY'\n${syscallPython}\n${lines}\nPY`;
}

/** The host's values of these /proc/sys settings (those this kernel has). */
function hostSettings(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names
      .filter((name) => existsSync(`/proc/sys/${name}`))
      .map((name) => [name, readFileSync(`/proc/sys/${name}`, 'utf8')]),
  );
}

/**
 * Each named call was refused: EPERM or EACCES (denied), or ENOSYS (the kernel or sandbox does not offer
 * it). EINVAL, EFAULT or EBADF would mean the call was allowed through and only our arguments were wrong.
 */
function expectRefused(stdout: string, names: readonly string[], refused = /^(EPERM|EACCES|ENOSYS)$/): void {
  const found = results(stdout);
  expect(Object.keys(found).sort(), stdout).toEqual([...names].sort());
  for (const name of names) expect(found[name], name).toMatch(refused);
}

function callNames(script: string): string[] {
  return [...script.matchAll(/call\("([^"]+)"/g)].map(([, name]) => name ?? '');
}

function results(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
}

/** x86-64 system call numbers (the suite's machines); arguments are harmless when they are allowed. */
const kernelCalls = `
call("init_module", 175, 0, 0, b"")
call("finit_module", 313, 0, b"", 0)
call("delete_module", 176, b"ext4", 0)
call("kexec_load", 246, 0, 0, 0, 0)
call("bpf", 321, 0, 0, 0)
call("perf_event_open", 298, 0, 0, -1, -1, 0)
call("open_by_handle_at", 304, 0, 0, 0)
call("keyctl", 250, 0, 0)
call("syslog", 103, 3, 0, 0)
call("reboot", 169, 0xfee1dead, 672274793, 0x1234567, 0)
call("sethostname", 170, b"escaped", 7)
call("settimeofday", 164, 0, 0)
call("swapoff", 168, b"/")
`;

/**
 * Privileges: no capabilities, no new privileges, no mounts, devices, kernel modules, kernel tunables,
 * cgroup changes or namespaces — every one of the usual ways from root-in-a-container to the host.
 */
export function describePrivilegeEscalation(escape: EscapeBerth): void {
  describe('privilege escalation', () => {
    let container: string;

    beforeAll(async () => {
      container = await escape.createContainer('alpha', 'privileges');
    });

    it('runs with no capabilities and no_new_privs', async () => {
      const status = await escape.run(
        'alpha',
        container,
        `grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status; python3 -c 'import ctypes; print("NoNewPrivs:", ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))'`,
      );
      const fields = Object.fromEntries(
        status.stdout
          .trim()
          .split('\n')
          .map((line) => line.split(/:\s+/) as [string, string]),
      );
      // Every capability set the kernel reports is empty (gVisor leaves out CapAmb), and
      // PR_GET_NO_NEW_PRIVS says 1.
      expect(fields).toMatchObject({
        CapPrm: '0000000000000000',
        CapEff: '0000000000000000',
        CapBnd: '0000000000000000',
        NoNewPrivs: '1',
      });
      for (const [name, value] of Object.entries(fields))
        if (name.startsWith('Cap')) expect(value, name).toBe('0000000000000000');
    });

    it('cannot mount anything', async () => {
      // mount(8) exits 32 ("mount failure"); the raw calls below say why.
      const tmpfs = await escape.run('alpha', container, 'mount -t tmpfs none /mnt');
      expectFailure(tmpfs, 32, /^mount: \/mnt: /);
      const bind = await escape.run('alpha', container, 'mount --bind / /mnt');
      expectFailure(bind, 32, /^mount: \/mnt: /);
      const mountCalls = `
call("mount-proc", 165, b"proc", b"/mnt", b"proc", 0, 0)
call("mount-cgroup", 165, b"cgroup", b"/mnt", b"cgroup", 0, b"memory")
call("umount-proc", 166, b"/proc", 2)
call("pivot_root", 155, b"/", b"/")
call("fsopen", 430, b"tmpfs", 0)
call("open_tree", 428, -100, b"/", 1)
`;
      const calls = await escape.run('alpha', container, syscalls(mountCalls));
      expectRefused(calls.stdout, callNames(mountCalls));
    });

    it('cannot create a namespace (unshare, clone) or chroot', async () => {
      for (const flags of ['-U', '-r', '-m', '-n', '-p -f', '-C', '-i', '-u']) {
        const result = await escape.run('alpha', container, `unshare ${flags} true`);
        expectFailure(result, 1, /unshare: unshare failed: Operation not permitted/);
      }
      const chroot = await escape.run('alpha', container, 'chroot / true');
      expectFailure(chroot, 125, /chroot: cannot change root directory to '\/': Operation not permitted/);
      const namespaceCalls = `
call("clone-newuser", 56, 0x10000000 | 17, 0, 0, 0, 0)
call("clone-newns", 56, 0x00020000 | 17, 0, 0, 0, 0)
call("unshare-newuser", 272, 0x10000000)
import os
call("setns", 308, os.open("/proc/self/ns/net", os.O_RDONLY), 0)
`;
      const calls = await escape.run('alpha', container, syscalls(namespaceCalls));
      expectRefused(calls.stdout, callNames(namespaceCalls));
    });

    it('cannot create or read device nodes', async () => {
      // A node for the first disk, host memory and kernel memory: refused, or (gVisor, whose devices are
      // its own) made but leading nowhere.
      for (const [path, node] of [
        ['/mnt/data/disk', 'b 8 0'],
        ['/tmp/mem', 'c 1 1'],
        ['/tmp/kmem', 'c 1 2'],
      ] as const) {
        const made = await escape.run('alpha', container, `mknod ${path} ${node}`);
        if (made.outcome.type === 'exit' && made.outcome.exit_code === 0) {
          const read = await escape.run('alpha', container, `python3 -c 'open("${path}", "rb").read(16)'`);
          expectFailure(read, 1, /OSError: \[Errno 6\] No such device or address|PermissionError/);
        } else expectFailure(made, 1, new RegExp(`mknod: ${path}: Operation not permitted`));
      }
      const blockDevices = await escape.run('alpha', container, 'find /dev -type b');
      expect(blockDevices).toMatchObject({ stdout: '', outcome: { type: 'exit', exit_code: 0 } });
      // The host's disks (one loop device stands for all of them), and the classic memory devices.
      const disks = hostBlockDevices().filter((device) => !/^loop\d+$/.test(device) || device === 'loop0');
      const devices = [...new Set([...disks.slice(0, 40), 'sda', 'mem', 'kmem', 'port', 'kmsg'])];
      const reads = await escape.exec(
        'alpha',
        container,
        devices.map((device) => `cat /dev/${device} | head -c 512 | wc -c`),
      );
      for (const [index, device] of devices.entries()) {
        expect(reads[index]?.stdout, device).toBe('0\n');
        expect(reads[index]?.stderr, device).toMatch(
          new RegExp(`cat: /dev/${device}: No such file or directory`),
        );
      }
    });

    it('cannot load kernel modules or reach the kernel', async () => {
      for (const tool of ['insmod', 'modprobe']) {
        const result = await escape.run('alpha', container, `${tool} ext4`);
        // Absent from the sandbox, or refused.
        expect(result.outcome).not.toEqual({ type: 'exit', exit_code: 0 });
        expect(result.stderr).toMatch(/command not found|Operation not permitted/);
      }
      const calls = await escape.run('alpha', container, syscalls(kernelCalls));
      expectRefused(calls.stdout, callNames(kernelCalls));
      // The host kernel's log: refused, or (a sandbox kernel of its own) nothing of the host's.
      const dmesg = await escape.run('alpha', container, 'dmesg');
      if (dmesg.outcome.type === 'exit' && dmesg.outcome.exit_code === 0) {
        const hostLog = execFileSync('dmesg', { encoding: 'utf8' }).split('\n').slice(-50);
        for (const line of hostLog.filter((entry) => entry.length > 30))
          expect(dmesg.stdout).not.toContain(line);
      } else expectFailure(dmesg, 1, /dmesg: read kernel buffer failed: Operation not permitted/);
      // Masked (or absent): the kernel's memory image reads as nothing.
      const kcore = await escape.run('alpha', container, 'cat /proc/kcore 2>/dev/null | head -c 16 | wc -c');
      expect(kcore.stdout).toBe('0\n');
    });

    it("cannot change the host's kernel settings through /proc/sys or /proc/sysrq-trigger", async () => {
      const settings = ['kernel/core_pattern', 'kernel/modprobe', 'kernel/hostname', 'net/ipv4/ip_forward'];
      const before = hostSettings(settings);
      const writes = await escape.run(
        'alpha',
        container,
        [
          'for f in kernel/core_pattern kernel/modprobe vm/drop_caches kernel/hostname net/ipv4/ip_forward; do',
          '  if echo "|/mnt/data/x" > /proc/sys/$f 2>/dev/null; then echo "$f written"; else echo "$f refused"; fi',
          'done',
          'if echo b > /proc/sysrq-trigger 2>/dev/null; then echo "sysrq written"; else echo "sysrq refused"; fi',
        ].join('\n'),
      );
      expect(writes.stdout).toBe(
        [
          'kernel/core_pattern refused',
          'kernel/modprobe refused',
          'vm/drop_caches refused',
          'kernel/hostname refused',
          'net/ipv4/ip_forward refused',
          'sysrq refused',
          '',
        ].join('\n'),
      );
      const corePatternWrite = await escape.run(
        'alpha',
        container,
        'echo "|/x" > /proc/sys/kernel/core_pattern',
      );
      expectFailure(
        corePatternWrite,
        1,
        /\/proc\/sys\/kernel\/core_pattern: (Read-only file system|Permission denied|Operation not permitted)/,
      );
      expect(hostSettings(settings)).toEqual(before);
    });

    it('cannot change its cgroup limits or set a release agent', async () => {
      const writes = await escape.run(
        'alpha',
        container,
        [
          'found=0',
          // Each file gets a value it would accept: a refusal is then the sandbox's, not a bad value.
          'for f in $(find /sys/fs/cgroup -maxdepth 3 -type f 2>/dev/null); do',
          '  case ${f##*/} in',
          '    release_agent) value=/mnt/data/agent ;;',
          '    notify_on_release) value=1 ;;',
          '    memory.limit_in_bytes|memory.memsw.limit_in_bytes) value=9223372036854771712 ;;',
          '    memory.max|memory.swap.max|pids.max|cpu.max) value=max ;;',
          '    cpu.cfs_quota_us) value=-1 ;;',
          '    devices.allow) value=a ;;',
          '    cgroup.procs) value=$$ ;;',
          '    *) continue ;;',
          '  esac',
          '  found=$((found+1))',
          '  if echo $value > $f 2>/dev/null; then echo "$f written"; fi',
          'done',
          'mkdir /sys/fs/cgroup/escape 2>/dev/null && echo "mkdir written"',
          'echo "checked $found"',
        ].join('\n'),
      );
      expect(writes.stdout).toMatch(/^checked \d+\n$/);
    });

    it('gains nothing from a setuid binary, su or sudo', async () => {
      // The same probe run by python and by a setuid copy of it: identities and capabilities are equal.
      const probe = `import os; print(os.getresuid(), os.getresgid(), open("/proc/self/status").read().split("CapEff:")[1].split()[0])`;
      const setuid = await escape.exec('alpha', container, [
        `cp /usr/bin/python3 /mnt/data/suid-python && chmod 6755 /mnt/data/suid-python && python3 -c 'import os, stat; print(stat.filemode(os.stat("/mnt/data/suid-python").st_mode))'`,
        `python3 -c '${probe}'`,
        `/mnt/data/suid-python -c '${probe}'`,
      ]);
      expect(setuid[0]?.stdout).toBe('-rwsr-sr-x\n');
      expect(setuid[2]?.stdout).toBe(setuid[1]?.stdout);
      expect(setuid[2]?.stdout).toMatch(/ 0000000000000000\n$/);
      // It cannot give its files to another user (a setuid binary of another uid).
      const chown = await escape.run('alpha', container, 'chown 1000:1000 /mnt/data/suid-python');
      // (Invalid argument where the user namespace maps no uid 1000 at all.)
      expectFailure(
        chown,
        1,
        /changing ownership of '\/mnt\/data\/suid-python': (Operation not permitted|Invalid argument)/,
      );
      const su = await escape.run('alpha', container, 'su -c id nobody');
      expect(su.outcome).toEqual({ type: 'exit', exit_code: 1 });
      expect(su.stdout).toBe('');
      expect(su.stderr).toMatch(/^su: /);
      const sudo = await escape.run('alpha', container, 'sudo id');
      expect(sudo.outcome).not.toEqual({ type: 'exit', exit_code: 0 });
      expect(sudo.stdout).not.toMatch(/uid=/);
      const setuidCall = await escape.run(
        'alpha',
        container,
        syscalls('call("setuid", 105, os.getuid() + 1)'),
      );
      // EINVAL where the user namespace maps no such uid: there is nobody to become.
      expectRefused(setuidCall.stdout, ['setuid'], /^(EPERM|EINVAL)$/);
    });

    it("cannot write the host's /usr", async () => {
      const name = marker('berth-escape');
      const write = await escape.run('alpha', container, `echo x > /usr/bin/${name}`);
      expectFailure(write, 1, new RegExp(`/usr/bin/${name}: (Permission denied|Read-only file system)`));
      // /usr/local may be writable (pip install), but only in the sandbox's own layer.
      await escape.run('alpha', container, `echo x > /usr/local/${name}`);
      expect(existsSync(`/usr/bin/${name}`)).toBe(false);
      expect(existsSync(`/usr/local/${name}`)).toBe(false);
      const bash = await escape.run('alpha', container, 'echo x >> /usr/bin/bash');
      expectFailure(bash, 1, /\/usr\/bin\/bash: (Permission denied|Read-only file system)/);
    });
  });
}
