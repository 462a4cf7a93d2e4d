import { toFile } from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { marker, type EscapeBerth } from './escape-berth.js';
import { hostProcessesMentioning } from '../support/host-observations.js';

/**
 * The status-forging attack of docs/research/persistent-shell-session.md: a command looks for the
 * session shell's frame nonce in its memory and for its status descriptor (fd 59), and if it gets both,
 * writes a forged `<nonce> 0` status line. Each step prints `step RESULT` (an errno name or `ok`).
 */
const forgeStatusPython = `
import ctypes, errno, os, re
libc = ctypes.CDLL(None, use_errno=True)
shell = os.getppid()
def report(step, result):
    print(step, result, flush=True)
def syscall(step, number, *args):
    result = libc.syscall(number, *args)
    report(step, errno.errorcode[ctypes.get_errno()] if result < 0 else "ok")
    return result
nonces = set()
def scan(step, pid):
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                start, end = (int(part, 16) for part in line.split()[0].split("-"))
                if "rw" not in line.split()[1]:
                    continue
                try:
                    mem.seek(start)
                    nonces.update(re.findall(rb"__sh_n=([0-9a-f]{32})", mem.read(end - start)))
                except OSError:
                    pass
        report(step, "ok")
    except OSError as error:
        report(step, errno.errorcode[error.errno])
scan("mem", shell)
# A driver may run the shell under a supervisor inside the sandbox, which sees every command line.
with open(f"/proc/{shell}/stat") as stat:
    supervisor = int(stat.read().rsplit(")", 1)[1].split()[1])
if supervisor > 1:
    scan("supervisor-mem", supervisor)
status = None
try:
    status = os.open(f"/proc/{shell}/fd/59", os.O_WRONLY)
    report("reopen-fd", "ok")
except OSError as error:
    report("reopen-fd", errno.errorcode[error.errno])
pidfd = syscall("pidfd_open", 434, shell, 0)
if pidfd >= 0:
    got = syscall("pidfd_getfd", 438, pidfd, 59, 0)
    if got >= 0:
        status = got
syscall("ptrace-attach", 101, 16, shell, 0, 0)
syscall("ptrace-seize", 101, 0x4206, shell, 0, 0)
buffer = ctypes.create_string_buffer(64)
class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]
local = Iovec(ctypes.cast(buffer, ctypes.c_void_p), 64)
remote = Iovec(0x10000, 64)
syscall("process_vm_readv", 310, shell, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
if status is not None:
    for nonce in nonces:
        os.write(status, nonce + b" 0\\n")
    report("forged", len(nonces))
report("nonces", len(nonces))
`;

/**
 * Watches every other process of the sandbox (runtime helpers entering it included) until
 * /mnt/data/.stop-watching appears: its root and cwd must never lead to the host's files, and a
 * descriptor it holds on a host file must not be reopenable. Prints `finding …` lines, then a count.
 */
function watchEntriesPython(dataDir: string): string {
  return `
import os
me = os.getpid()
findings = set()
host_files = set()
scans = 0
while not os.path.exists("/mnt/data/.stop-watching") and scans < 200000:
    scans += 1
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        base = f"/proc/{pid}"
        for way in ("root", "cwd"):
            try:
                names = os.listdir(f"{base}/{way}")
            except OSError:
                continue
            if "berth.sqlite" in names or "config.json" in names or os.path.exists(f"{base}/{way}${dataDir}"):
                findings.add(f"finding {way} of {pid} reaches the host: {sorted(names)[:6]}")
        try:
            fds = os.listdir(f"{base}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{base}/fd/{fd}")
            except OSError:
                continue
            if not target.startswith("/") or os.path.exists(target):
                continue
            host_files.add(target)
            for mode, flags in (("read", os.O_RDONLY), ("append", os.O_WRONLY | os.O_APPEND)):
                try:
                    os.close(os.open(f"{base}/fd/{fd}", flags))
                    findings.add(f"finding reopened {target} for {mode} through {base}/fd/{fd}")
                except OSError:
                    pass
for finding in sorted(findings):
    print(finding)
print("host files held", len(host_files))
`;
}

/** Processes: a sandbox sees only its own, cannot touch its shell's memory, and forges nothing. */
export function describeProcessIsolation(escape: EscapeBerth): void {
  describe('processes', () => {
    let container: string;
    let neighbour: string;
    let neighbourMarker: string;

    beforeAll(async () => {
      container = await escape.createContainer('alpha', 'processes');
      neighbour = await escape.createContainer('alpha', 'neighbour');
      neighbourMarker = marker('berth-neighbour');
      await escape.run(
        'alpha',
        neighbour,
        // The background job takes the marker's name only once it has exec'd: the command waits for
        // that, or a loaded machine lets the next command look before it has.
        `(exec -a ${neighbourMarker} sleep 1000) >/dev/null 2>&1 & disown; ` +
          `until ps -eo args | grep -q '^${neighbourMarker}'; do sleep 0.01; done`,
      );
    });

    it("does not see the host's or another container's processes", async () => {
      // The marker runs: its own container sees it.
      const own = await escape.run('alpha', neighbour, 'ps -eo args');
      expect(own.stdout).toContain(neighbourMarker);

      const [ps, cmdlines, procEntries] = await escape.exec('alpha', container, [
        'ps -eo pid,args',
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done",
        `python3 -c 'import os; print("\\n".join(os.listdir("/proc")))'`,
      ]);
      for (const result of [ps, cmdlines]) {
        expect(result?.stdout).not.toContain(neighbourMarker);
        // The server, the test runner and the runtime are host processes.
        expect(result?.stdout).not.toMatch(/vitest|node|runc|runsc|bwrap|containerd/);
      }
      // Every pid it can see belongs to its own few processes (host pids are in the thousands here).
      const pids = (procEntries?.stdout ?? '').split('\n').filter((entry) => /^\d+$/.test(entry));
      expect(pids.length).toBeLessThan(16);
    });

    it('cannot signal processes it does not see: another container survives kill -9 -1', async () => {
      for (const pid of hostProcessesMentioning(neighbourMarker)) {
        // The neighbour's host pid means nothing in this sandbox's pid namespace.
        const kill = await escape.run('alpha', container, `kill -9 ${pid}`);
        expect(kill.outcome).toEqual({ type: 'exit', exit_code: 1 });
        expect(kill.stderr).toMatch(/No such process/);
      }
      const killAll = await escape.run('alpha', container, 'kill -9 -1; echo survived', {
        session: 'killer',
      });
      if (escape.driver === 'runsc') {
        // Under gVisor the session's shell runs below a supervisor in the same sandbox user, which
        // `kill -9 -1` reaches too: the killer ends its own session (reported as killed, 137), and
        // whether its last output got out first is a race. Its neighbours are what must survive.
        expect(killAll.outcome).toEqual(
          killAll.stdout === 'survived\n' &&
            killAll.outcome.type === 'exit' &&
            killAll.outcome.exit_code === 0
            ? { type: 'exit', exit_code: 0 }
            : { type: 'exit', exit_code: 137 },
        );
      } else {
        expect(killAll.stdout).toBe('survived\n');
      }
      const after = await escape.run('alpha', neighbour, 'ps -eo args');
      expect(after.stdout).toContain(neighbourMarker);
      expect((await escape.client('alpha').containers.retrieve(neighbour)).status).toBe('running');
    });

    it("cannot reach the host through another process's /proc entries, even as runtime helpers enter", async () => {
      const watched = await escape.createContainer('alpha', 'entries');
      const watcher = escape.run(
        'alpha',
        watched,
        `python3 - <<'PY'\n${watchEntriesPython(escape.dataDir)}\nPY`,
        {
          session: 'watcher',
        },
      );
      // Every way the server enters a sandbox: new shell sessions, file listings, uploads and downloads.
      const client = escape.client('alpha');
      for (let round = 0; round < 5; round += 1) {
        await escape.run('alpha', watched, `echo ${round} > /mnt/data/round.txt`, {
          session: `enter-${round}`,
        });
        const files = await client.containers.files.list(watched);
        for (const file of files.data)
          await (await client.containers.files.content.retrieve(file.id, { container_id: watched })).text();
        await client.containers.files.create(watched, {
          file: await toFile(Buffer.from('x'), `upload-${round}.txt`),
        });
      }
      await escape.run('alpha', watched, 'touch /mnt/data/.stop-watching');
      const result = await watcher;
      expect(result.outcome).toEqual({ type: 'exit', exit_code: 0 });
      expect(result.stdout).toMatch(/^host files held \d+\n$/);
      await client.containers.delete(watched);
    });

    it("cannot read the session shell's memory or take its status descriptor: the exit code is real", async () => {
      const [shell, forge] = await escape.exec('alpha', container, [
        'cat /proc/$$/mem',
        `python3 - <<'PY'\n${forgeStatusPython}\nPY\n(exit 3)`,
      ]);
      expect(shell?.stderr).toMatch(/cat: \/proc\/\d+\/mem: Permission denied/);

      const steps = Object.fromEntries(
        (forge?.stdout ?? '')
          .trim()
          .split('\n')
          .map((line) => line.split(' ')),
      ) as Record<string, string>;
      expect(steps.mem).toMatch(/^(EACCES|EPERM)$/);
      if ('supervisor-mem' in steps) expect(steps['supervisor-mem']).toMatch(/^(EACCES|EPERM)$/);
      expect(steps.nonces).toBe('0');
      // (ENOENT where the sandbox's kernel hides another process's descriptors altogether.)
      expect(steps['reopen-fd']).toMatch(/^(EACCES|EPERM|ENOENT)$/);
      expect(steps).toMatchObject({
        'ptrace-attach': 'EPERM',
        'ptrace-seize': 'EPERM',
        process_vm_readv: 'EPERM',
      });
      // pidfd_open itself may work (it only names the process); taking a descriptor must not.
      if (steps.pidfd_open === 'ok') expect(steps.pidfd_getfd).toBe('EPERM');
      expect(steps.forged).toBeUndefined();
      expect(forge?.outcome).toEqual({ type: 'exit', exit_code: 3 });
    });
  });
}
