import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, chown, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cgroupDirectories,
  createCgroup,
  removeCgroup,
  trackingDirectory,
  writeCgroupLimits,
} from '../cgroup-limits.js';
import { createSessionCgroup, sessionCgroupPath } from '../session-cgroup.js';
import { cgroupLayout, readLimitEvents } from '../cgroups.js';
import { ensureExecuteOnlyBash } from '../execute-only-bash.js';
import { hostPath, runHostCommand } from '../host-command.js';
import { probeDriverTool } from '../probe-driver-tool.js';
import { mountPoints, mountsUnder, unmountAll } from '../mounts.js';
import {
  sandboxCgroupPath,
  sandboxEnvironment,
  sessionShellPath,
  skillsMountPoint,
} from '../runc/oci-config.js';
import { sessionShellArgs } from '../runc/runc-driver.js';
import { egressForwarderArgs, egressForwarderPath, egressMountPoint } from '../egress/egress-mount.js';
import {
  type Sandbox,
  type SandboxDriver,
  type SandboxEgress,
  type SandboxImage,
  type SandboxLimits,
  type SandboxSpec,
  stdioEntries,
  type SandboxStdio,
} from '../sandbox-driver.js';
import { compileSeccompFilter, hostSeccompArch } from '../seccomp-bpf.js';
import type { ShellLauncher } from '../shell-launcher.js';
import { sandboxRootId } from '../writable-layer.js';
import { spawnProcess } from '../spawner/spawn-process.js';

export interface BwrapDriverOptions {
  /** Host directory for the driver's own files (the execute-only bash, the seccomp filter, mounts). */
  readonly runDir: string;
}

/**
 * The directories a sandbox may write, each a plain host directory under the container's `tree/`
 * (kept across restarts), bound read-write; everything else is read-only. No overlay and no loop
 * device without root, so the image itself (and `/usr/local`) cannot be written.
 */
const writableDirectories: readonly { path: string; mode: number }[] = [
  { path: 'mnt/data', mode: 0o755 },
  { path: 'root', mode: 0o700 },
  { path: 'home', mode: 0o755 },
  { path: 'opt', mode: 0o755 },
  { path: 'tmp', mode: 0o1777 },
  { path: 'var/tmp', mode: 0o1777 },
];

/** Top-level entries of the image that the sandbox gets from elsewhere (kernel file systems, its own). */
const notFromImage = new Set([
  'proc',
  'dev',
  'sys',
  'run',
  'mnt',
  'root',
  'home',
  'opt',
  'tmp',
  '.berth',
  'skills',
]);

/**
 * Runs on the host before bwrap, as the server: closes every inherited descriptor above `$1` (bwrap
 * passes every open descriptor into the sandbox, and the server may have inherited some without
 * close-on-exec), joins the sandbox's cgroups (root only), opens the seccomp filter on fd 4 for
 * `--seccomp 4` (bwrap reads and closes it), then execs bwrap — as the sandbox's unprivileged uid when
 * `$3` names one.
 */
const launchScript = [
  'keep=$1 filter=$2 user=$3; shift 3',
  'for fd in /proc/$$/fd/*; do fd=${fd##*/}; if (( fd > keep )); then eval "exec $fd>&-"; fi; done',
  'while [[ $1 != -- ]]; do echo $$ > "$1" || exit 125; shift; done; shift',
  'exec 4<"$filter" || exit 125',
  'if [[ -n $user ]]; then exec setpriv --reuid="$user" --regid="$user" --clear-groups -- bwrap --seccomp 4 "$@"; fi',
  'exec bwrap --seccomp 4 "$@"',
].join('\n');

/**
 * bubblewrap, for hosts where Berth is not root. A container is a directory; each shell session is one
 * `bwrap` process running the execute-only bash in fresh user, pid, mount, network (loopback only),
 * ipc, uts and cgroup namespaces, with no capabilities, no_new_privs and the seccomp filter. Sessions
 * of one container share its files (the same directories are bound into each) but not processes or
 * loopback: each session has its namespaces of its own, with the shell as their pid 1.
 *
 * Without root nothing bounds memory, processes, CPU or disk. As root (the server's choice of bwrap
 * over runc, and the tests), bwrap runs as the unprivileged uid 100000, mapped to root inside, and a
 * cgroup per sandbox holds every session, so memory, processes and CPU are limited; the disk still is
 * not.
 */
export class BwrapDriver implements SandboxDriver {
  readonly name = 'bwrap' as const;
  readonly capabilities: SandboxDriver['capabilities'];
  readonly #runDir: string;
  readonly #asRoot = process.getuid?.() === 0;

  constructor(options: BwrapDriverOptions) {
    this.#runDir = options.runDir;
    this.capabilities = {
      memoryLimit: this.#asRoot,
      pidsLimit: this.#asRoot,
      cpuLimit: this.#asRoot,
      diskQuota: false,
    };
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    const arch = hostSeccompArch();
    if (!arch) throw new Error(`the bwrap driver supports x86_64 and arm64, not ${process.arch}`);
    // As root, directories on the way to the driver's files must be searchable by the sandbox's
    // uid, which bwrap runs as; nothing there is listable.
    await mkdir(`${this.#runDir}/bin`, { recursive: true, mode: 0o711 });
    if (this.#asRoot)
      for (const dir of ['/run/berth', this.#runDir]) await chmod(dir, 0o711).catch(() => undefined);
    const filter = `${this.#runDir}/bin/seccomp-${arch}.bpf`;
    if (!existsSync(filter)) await writeFile(filter, compileSeccompFilter(arch), { mode: 0o644 });
    const bash = await ensureExecuteOnlyBash(`${this.#runDir}/bin`, spec.image);
    await this.#prepareTree(`${spec.dir}/tree`);
    const sources = await this.#stageSources(spec);
    if (this.#asRoot) await createCgroup(sandboxCgroupPath(spec.id), spec.limits);
    const mounts = this.#mountArgs(spec.image, sources, bash, spec.egress);
    return this.#handle(spec, filter, mounts);
  }

  async stop(id: string, dir: string): Promise<void> {
    if (this.#asRoot) await removeCgroup(sandboxCgroupPath(id));
    // Without root (and for the sessions' bwrap processes in any case): find them by the container's
    // directory in their arguments. Killing bwrap kills its shell (--die-with-parent), and a shell
    // that is its namespace's pid 1 takes every process of its session with it.
    const marker = `${this.#sourcesDir(id, dir)}/tree/mnt/data`;
    for (let waited = 0; waited < 5_000; waited += 10) {
      const left = bwrapProcesses().filter((process) => process.args.includes(marker));
      if (left.length === 0) break;
      for (const { pid } of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await sleep(10);
    }
    if (this.#asRoot) {
      await unmountAll(`${this.#runDir}/sandboxes/${id}`);
      for (const path of ['tree', 'image', 'skills', '']) {
        await rmdir(`${this.#runDir}/sandboxes/${id}/${path}`).catch(() => undefined);
      }
    }
  }

  /** Nothing outlives the server: every bwrap dies with it (--die-with-parent). */
  probe(): Promise<void> {
    return probeDriverTool('bwrap', this.#runDir);
  }

  listRunning(): Promise<readonly string[]> {
    return Promise.resolve([]);
  }

  /** As root, removes the run directory once nothing is mounted under it (every sandbox stopped). */
  async close(): Promise<void> {
    if (!this.#asRoot || mountsUnder(this.#runDir).length > 0) return;
    await rm(this.#runDir, { recursive: true, force: true });
  }

  /** The writable directories, created once, owned by the sandbox's root. */
  async #prepareTree(tree: string): Promise<void> {
    const marker = `${tree}/.berth-layout-1`;
    if (existsSync(marker)) return;
    for (const { path, mode } of writableDirectories) {
      const dir = `${tree}/${path}`;
      await mkdir(dir, { recursive: true });
      await chmod(dir, mode);
      if (this.#asRoot) await chown(dir, sandboxRootId, sandboxRootId);
    }
    await writeFile(marker, '');
  }

  /** Where bwrap finds the image and the container's tree. */
  #sourcesDir(id: string, dir: string): string {
    return this.#asRoot ? `${this.#runDir}/sandboxes/${id}` : dir;
  }

  /**
   * bwrap resolves its bind sources as the user it runs as. As root that is the sandbox's uid, which
   * cannot search the data directory (0700), so the image and the tree are bind-mounted on the host
   * under the run directory (searchable) first; without root, bwrap uses them where they are.
   */
  async #stageSources(spec: SandboxSpec): Promise<Sources> {
    if (!this.#asRoot) return { image: spec.image.rootfs, tree: `${spec.dir}/tree`, skills: spec.skillsDir };
    const stage = this.#sourcesDir(spec.id, spec.dir);
    const mounted = mountPoints();
    const sources: [string, string][] = [
      ['image', spec.image.rootfs],
      ['tree', `${spec.dir}/tree`],
    ];
    if (spec.skillsDir !== undefined) sources.push(['skills', spec.skillsDir]);
    for (const [name, source] of sources) {
      const target = `${stage}/${name}`;
      await mkdir(target, { recursive: true, mode: 0o711 });
      if (!mounted.has(target)) {
        await runHostCommand('mount', ['--bind', source, target]);
        // The skills' staging path is read-only on the host too: nothing can write through it.
        if (name === 'skills') await runHostCommand('mount', ['-o', 'remount,bind,ro,nosuid,nodev', target]);
      }
    }
    await chmod(`${this.#runDir}/sandboxes`, 0o711);
    await chmod(stage, 0o711);
    return {
      image: `${stage}/image`,
      tree: `${stage}/tree`,
      skills: spec.skillsDir === undefined ? undefined : `${stage}/skills`,
    };
  }

  /** The file system: the image read-only, kernel file systems, the writable directories, the shell. */
  #mountArgs(
    image: SandboxImage,
    sources: Sources,
    bash: string,
    egress: SandboxEgress | undefined,
  ): string[] {
    const args: string[] = [];
    for (const entry of readdirSync(image.rootfs, { withFileTypes: true })) {
      if (notFromImage.has(entry.name) || (image.bindHostUsr && entry.name === 'usr')) continue;
      if (entry.isSymbolicLink()) {
        args.push('--symlink', readlinkSync(`${image.rootfs}/${entry.name}`), `/${entry.name}`);
      } else {
        args.push('--ro-bind', `${sources.image}/${entry.name}`, `/${entry.name}`);
      }
    }
    if (image.bindHostUsr) args.push('--ro-bind', '/usr', '/usr');
    args.push(
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      // Sized tmpfs mounts: without a memory cgroup, an unbounded tmpfs would be host memory to fill.
      '--size',
      String(64 * 1024 * 1024),
      '--tmpfs',
      '/dev/shm',
      '--remount-ro',
      '/dev',
      '--size',
      String(16 * 1024 * 1024),
      '--tmpfs',
      '/run',
    );
    for (const { path } of writableDirectories) {
      // /var/tmp needs the image's /var to hold its mount point.
      if (path.startsWith('var/') && !existsSync(`${image.rootfs}/${path}`)) continue;
      args.push('--bind', `${sources.tree}/${path}`, `/${path}`);
    }
    // Skills: --ro-bind is read-only, nosuid and nodev (bwrap adds both to every bind but --dev-bind),
    // and the sandbox has no capabilities and no new user namespaces to remount it; the files also
    // belong to the host's root, which is nobody inside. Not noexec: a skill's scripts are meant to run.
    if (sources.skills !== undefined) args.push('--ro-bind', sources.skills, skillsMountPoint);
    // Egress: the proxy's directory (sockets, public CA files) and the forwarder, read-only (and nosuid,
    // nodev, as every bwrap bind); the proxy behind the sockets applies the policy, so replacing or
    // killing the forwarder inside only cuts the sandbox's own way out.
    if (egress)
      args.push(
        '--ro-bind',
        egress.socketDir,
        egressMountPoint,
        '--ro-bind',
        egress.forwarder,
        egressForwarderPath,
      );
    // The root itself (bwrap's tmpfs holding the mount points) is read-only once everything is in place.
    args.push('--ro-bind', bash, sessionShellPath, '--remount-ro', '/');
    return args;
  }

  #handle(spec: SandboxSpec, filter: string, mounts: readonly string[]): Sandbox {
    const cgroupPath = sandboxCgroupPath(spec.id);
    const sandboxProcs = this.#asRoot
      ? cgroupDirectories(cgroupPath).map((dir) => `${dir}/cgroup.procs`)
      : [];
    const user = this.#asRoot ? String(sandboxRootId) : '';
    const launcher = (
      keep: number,
      cwd: string,
      argv: readonly string[],
      cgroupProcs: readonly string[] = sandboxProcs,
    ): string[] => [
      '-c',
      launchScript,
      'berth-bwrap',
      String(keep),
      filter,
      user,
      ...cgroupProcs,
      '--',
      // Every namespace (user, pid, network with loopback only, ipc, uts, cgroup), root inside mapped
      // to the unprivileged uid outside, no capabilities, no new user namespaces inside.
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--uid',
      '0',
      '--gid',
      '0',
      '--cap-drop',
      'ALL',
      '--hostname',
      'berth',
      // bwrap and its sandbox die with the server; the program is the namespace's pid 1 (no reaper)
      // and leads a session of its own, which is how process-groups.ts finds a command's jobs.
      '--die-with-parent',
      '--as-pid-1',
      '--new-session',
      '--clearenv',
      ...[...sandboxEnvironment, ...(spec.egress?.environment ?? [])].flatMap((variable) => {
        const at = variable.indexOf('=');
        return ['--setenv', variable.slice(0, at), variable.slice(at + 1)];
      }),
      ...mounts,
      '--chdir',
      cwd,
      '--',
      ...argv,
    ];
    const limitEvents = cgroupLayout(cgroupPath);
    return {
      id: spec.id,
      shellLauncher: (sessionName: string): ShellLauncher => {
        // As root, the session joins the sandbox's cgroups and then its own under them, in the
        // hierarchy that tracks processes (written last: a process is in one cgroup per hierarchy).
        const cgroup = sessionCgroupPath(cgroupPath, sessionName);
        const inCgroup = this.#asRoot && createSessionCgroup(cgroup);
        const cgroupProcs = inCgroup
          ? [...sandboxProcs, `${trackingDirectory(cgroup)}/cgroup.procs`]
          : sandboxProcs;
        return {
          command: '/bin/bash',
          // Each session is a bwrap of its own (its own network namespace): its forwarder starts with
          // it, in a session of its own, and goes with the namespace when the shell (pid 1) ends.
          args: launcher(
            3,
            '/mnt/data',
            spec.egress ? [...egressForwarderArgs, '--', ...sessionShellArgs] : sessionShellArgs,
            cgroupProcs,
          ),
          env: { PATH: hostPath },
          shellIsChild: true,
          ...(inCgroup ? { cgroup } : {}),
        };
      },
      spawn: (argv: readonly string[], stdio: SandboxStdio) =>
        spawnProcess('/bin/bash', launcher(2, '/', argv), {
          stdio: stdioEntries(stdio),
          env: { PATH: hostPath },
        }),
      updateLimits: async (limits: SandboxLimits) => {
        if (this.#asRoot) await writeCgroupLimits(cgroupPath, limits);
      },
      limitEvents: () => (this.#asRoot ? readLimitEvents(limitEvents) : { oomKills: 0, pidsRefused: 0 }),
      stop: () => this.stop(spec.id, spec.dir),
    };
  }
}

/** Where bwrap finds what it binds: the image, the container's writable tree, its skills if any. */
interface Sources {
  readonly image: string;
  readonly tree: string;
  readonly skills: string | undefined;
}

/** bwrap processes on the host, with their arguments. */
function bwrapProcesses(): { pid: number; args: string[] }[] {
  const found: { pid: number; args: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('bwrap')) found.push({ pid: Number(entry), args });
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}
