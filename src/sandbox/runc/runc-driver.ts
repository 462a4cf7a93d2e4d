import { chmod, mkdir, rm } from 'node:fs/promises';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupLayout, cgroupVersion, readLimitEvents } from '../cgroups.js';
import { createSessionCgroup, sessionCgroupPath } from '../session-cgroup.js';
import { ensureExecuteOnlyBash } from '../execute-only-bash.js';
import { hostPath, runDetachingHostCommand, runHostCommand } from '../host-command.js';
import { probeDriverTool } from '../probe-driver-tool.js';
import {
  stdioEntries,
  type Sandbox,
  type SandboxDriver,
  type SandboxImage,
  type SandboxLimits,
  type SandboxSpec,
  type SandboxStdio,
} from '../sandbox-driver.js';
import { spawnProcess } from '../spawner/spawn-process.js';
import type { ShellLauncher } from '../shell-launcher.js';
import { mountPoints, mountsUnder, unmountAll } from '../mounts.js';
import { mountWritableLayer, unmountWritableLayer, type LayerPaths } from '../writable-layer.js';
import { cpuPeriodMicros, ociConfig, sandboxCgroupPath, sessionShellPath } from './oci-config.js';

export interface OciDriverOptions {
  /** Host directory for this server's runtime state (mount points, runtime state); on tmpfs. */
  readonly runDir: string;
}

/** Arguments that start the session shell: interactive (see shell-session.ts), no rc files. */
export const sessionShellArgs = [sessionShellPath, '--norc', '--noprofile', '--noediting', '-i'];

/**
 * runc: an OCI container per sandbox. Its init is an idle `sleep` (≈1.5 MiB); each shell session is a
 * `runc exec -d`, after which runc exits and only the bash remains, talking to the server over the
 * socketpairs it inherited — so a live session costs one bash, not a resident runc. Limits are runc's
 * cgroups (v1 or v2, whichever the host has).
 */
export class RuncDriver implements SandboxDriver {
  readonly name: 'runc' | 'runsc' = 'runc';
  readonly capabilities = { memoryLimit: true, pidsLimit: true, cpuLimit: true, diskQuota: true };
  protected readonly runDir: string;
  protected readonly stateDir: string;
  /** Whether `runc exec` takes `--cgroup` (runc 1.1 and later), learned at the first start. */
  #execCgroup: Promise<boolean> | undefined;
  #sessionCgroups = false;

  constructor(options: OciDriverOptions) {
    this.runDir = options.runDir;
    this.stateDir = `${options.runDir}/runc`;
  }

  /** The runtime binary and its global flags. */
  protected runtime(): { command: string; globalArgs: string[] } {
    return { command: 'runc', globalArgs: ['--root', this.stateDir] };
  }

  protected get userNamespace(): boolean {
    return true;
  }

  layerPaths(id: string, dir: string): LayerPaths {
    return {
      diskImage: `${dir}/disk.img`,
      diskMount: `${this.runDir}/disk/${id}`,
      rootfs: `${this.runDir}/rootfs/${id}`,
    };
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    this.#execCgroup ??= this.sessionCgroupSupport();
    this.#sessionCgroups = await this.#execCgroup;
    if (await this.isRunning(spec.id)) return this.handle(spec.id);
    await this.stop(spec.id, spec.dir);
    // Directories on the way to the root must be searchable (not readable) by the sandbox's
    // unprivileged root, which mounts it from inside its user namespace.
    // Synchronous file system calls, as in writable-layer.ts: microseconds each, where an await would
    // wait a turn of the server's event loop.
    mkdirSync(`${this.runDir}/rootfs`, { recursive: true, mode: 0o711 });
    for (const dir of [dirname(this.runDir), this.runDir, `${this.runDir}/rootfs`]) chmodSync(dir, 0o711);
    mkdirSync(`${this.runDir}/disk`, { recursive: true, mode: 0o700 });
    const paths = this.layerPaths(spec.id, spec.dir);
    await mountWritableLayer(paths, spec.image, spec.limits.diskBytes);
    const bashBinary = await this.sessionShellBinary(spec.image);
    const skillsSource =
      spec.skillsDir === undefined ? undefined : await this.stageSkills(spec.id, spec.skillsDir);
    const bundle = `${this.runDir}/bundles/${spec.id}`;
    mkdirSync(bundle, { recursive: true, mode: 0o700 });
    const config = ociConfig({
      id: spec.id,
      rootfs: paths.rootfs,
      bashBinary,
      limits: this.runtimeLimits(spec.limits),
      userNamespace: this.userNamespace,
      skillsSource,
      egress: spec.egress,
    });
    writeFileSync(`${bundle}/config.json`, JSON.stringify(config));
    const { command, globalArgs } = this.runtime();
    try {
      await runDetachingHostCommand(
        command,
        [
          ...globalArgs,
          ...this.sandboxFlags(spec),
          'run',
          '--detach',
          ...this.runArgs(),
          '--bundle',
          bundle,
          spec.id,
        ],
        `${bundle}/run.log`,
      );
    } catch (error) {
      await this.stop(spec.id, spec.dir);
      throw error;
    }
    return this.handle(spec.id);
  }

  /** Global flags that depend on the sandbox (none for runc). */
  protected sandboxFlags(_spec: SandboxSpec): string[] {
    return [];
  }

  async stop(id: string, dir: string): Promise<void> {
    const { command, globalArgs } = this.runtime();
    // SIGKILL the container's init: the kernel then kills every other process in its pid namespace
    // (sessions included). Once init has exited, `delete --force` only removes state and the cgroup;
    // left to kill by itself it polls until the host's pid 1 reaps the init, ≈1–2 s on some hosts.
    const known = this.mayHaveRuntimeState(id);
    const init = known ? await this.initPid(id) : undefined;
    if (init !== undefined) {
      try {
        process.kill(init, 'SIGKILL');
      } catch {
        // Already gone.
      }
      for (let waited = 0; waited < 2_000 && isAlive(init); waited += 5) await sleep(5);
    }
    if (known) await runHostCommand(command, [...globalArgs, 'delete', '--force', id]).catch(() => undefined);
    await unmountWritableLayer(this.layerPaths(id, dir));
    await unmountAll(this.skillsStage(id));
    removeEmptyDirectory(this.skillsStage(id));
    rmSync(`${this.runDir}/bundles/${id}`, { recursive: true, force: true });
    // rmdir, never a recursive delete: if an unmount had failed, a recursive delete would reach
    // through the mount point into the container's files.
    removeEmptyDirectory(`${this.runDir}/rootfs/${id}`);
    removeEmptyDirectory(`${this.runDir}/disk/${id}`);
  }

  probe(): Promise<void> {
    return probeDriverTool(this.runtime().command, this.runDir);
  }

  async listRunning(): Promise<readonly string[]> {
    const { command, globalArgs } = this.runtime();
    const output = await runHostCommand(command, [...globalArgs, 'list', '--quiet']).catch(() => '');
    return output.split('\n').filter((id) => id.length > 0);
  }

  async close(): Promise<void> {
    if ((await this.listRunning()).length > 0) return; // Never pull state from under a live sandbox.
    await unmountAll(this.runDir);
    if (mountsUnder(this.runDir).length > 0) return;
    await rm(this.runDir, { recursive: true, force: true });
  }

  /**
   * Binds the container's skills directory (under the data directory, which only root can search) at a
   * path under the run directory that the sandbox's unprivileged root can reach: runc mounts the OCI
   * bind from inside the user namespace. The staging bind is itself read-only, nosuid and nodev, so
   * even the host-side path cannot be used to write through.
   */
  protected async stageSkills(id: string, skillsDir: string): Promise<string> {
    const target = this.skillsStage(id);
    await mkdir(`${this.runDir}/skills`, { recursive: true, mode: 0o711 });
    await chmod(`${this.runDir}/skills`, 0o711);
    await mkdir(target, { recursive: true, mode: 0o711 });
    if (!mountPoints().has(target)) {
      await runHostCommand('mount', ['--bind', skillsDir, target]);
      await runHostCommand('mount', ['-o', 'remount,bind,ro,nosuid,nodev', target]);
    }
    return target;
  }

  protected skillsStage(id: string): string {
    return `${this.runDir}/skills/${id}`;
  }

  /**
   * Whether runc may know container `id`: it keeps each container's state in `<root>/<id>/` from create
   * to delete, so without that directory there is nothing for `runc state` or `runc delete` to find.
   * Checked first because each runc call is a Go program starting (≈10 ms of CPU): a new container's
   * start and a delete's second stop skip three of them. runsc keeps its state in files of its own.
   */
  protected mayHaveRuntimeState(id: string): boolean {
    return existsSync(`${this.stateDir}/${id}`);
  }

  /**
   * The pid of the container's init while that process still runs: from runc's state file (the pid and
   * its start time, compared with /proc, so a pid the kernel has since given to another process is never
   * signalled), else from `runc state`.
   */
  protected async initPid(id: string): Promise<number | undefined> {
    const fromFile = initPidFromStateFile(`${this.stateDir}/${id}/state.json`);
    return fromFile === 'unknown' ? this.initPidFromRuntime(id) : fromFile;
  }

  /** The init pid `runc state` reports. */
  protected async initPidFromRuntime(id: string): Promise<number | undefined> {
    const { command, globalArgs } = this.runtime();
    try {
      const state = JSON.parse(await runHostCommand(command, [...globalArgs, 'state', id])) as {
        pid?: number;
      };
      return state.pid && state.pid > 0 ? state.pid : undefined;
    } catch {
      return undefined;
    }
  }

  protected async isRunning(id: string): Promise<boolean> {
    if (!this.mayHaveRuntimeState(id)) return false;
    const { command, globalArgs } = this.runtime();
    try {
      const state = JSON.parse(await runHostCommand(command, [...globalArgs, 'state', id])) as {
        status?: string;
      };
      return state.status === 'running';
    } catch {
      return false;
    }
  }

  /** The limits written into the runtime's cgroups (runsc accounts its own overhead there too). */
  protected runtimeLimits(limits: SandboxLimits): SandboxLimits {
    return limits;
  }

  /** The bash binary bound at sessionShellPath. */
  protected sessionShellBinary(image: SandboxImage): Promise<string> {
    return ensureExecuteOnlyBash(`${this.runDir}/bin`, image);
  }

  /**
   * Extra `run` flags. `--no-new-keyring`: a new session keyring per container is charged to the
   * sandbox's host uid, which every container shares (100000), and the kernel's default quota of 200
   * keys per uid would cap the whole host at about a hundred containers. Nothing inside can use the
   * inherited keyring: keyctl, add_key and request_key are refused by seccomp.
   */
  protected runArgs(): string[] {
    return ['--no-new-keyring'];
  }

  /** Extra `exec` flags before the container id (runsc has its own). */
  protected execArgs(pidFile: string): string[] {
    return ['exec', '--detach', '--pid-file', pidFile, '--preserve-fds', '1', '--cwd', '/mnt/data'];
  }

  /** Whether sessions can have cgroups of their own (session-cgroup.ts): `runc exec --cgroup`. */
  protected async sessionCgroupSupport(): Promise<boolean> {
    const { command, globalArgs } = this.runtime();
    const help = await runHostCommand(command, [...globalArgs, 'exec', '--help']).catch(() => '');
    return help.includes('--cgroup');
  }

  /** How a session's shell is started in sandbox `id`: in a cgroup of its own where runc can. */
  protected shellLauncher(id: string, sessionName: string): ShellLauncher {
    const { command, globalArgs } = this.runtime();
    const pidFile = `${this.runDir}/bundles/${id}/session-${sessionName}.pid`;
    const cgroup = sessionCgroupPath(sandboxCgroupPath(id), sessionName);
    const inCgroup = this.#sessionCgroups && createSessionCgroup(cgroup);
    // `--cgroup` names a sub-cgroup of the container's: on v1 in the pids hierarchy only (the rest of
    // the shell's controllers stay the container's), on v2 in the one hierarchy.
    const sub = cgroup.slice(cgroup.lastIndexOf('/') + 1);
    const cgroupArgs = inCgroup ? ['--cgroup', cgroupVersion() === 2 ? sub : `pids:${sub}`] : [];
    return {
      command,
      args: [...globalArgs, ...this.execArgs(pidFile), ...cgroupArgs, id, ...sessionShellArgs],
      env: { PATH: hostPath },
      pidFile,
      ...(inCgroup ? { cgroup } : {}),
    };
  }

  /** Applies new limits to the running sandbox `id`. */
  protected async updateLimits(id: string, limits: SandboxLimits): Promise<void> {
    const { command, globalArgs } = this.runtime();
    await runHostCommand(command, [
      ...globalArgs,
      'update',
      '--memory',
      String(limits.memoryBytes),
      '--memory-swap',
      String(limits.memoryBytes),
      '--pids-limit',
      String(limits.pids),
      '--cpu-quota',
      String(Math.round(limits.cpus * cpuPeriodMicros)),
      '--cpu-period',
      String(cpuPeriodMicros),
      id,
    ]);
  }

  protected handle(id: string): Sandbox {
    const { command, globalArgs } = this.runtime();
    const cgroup = cgroupLayout(sandboxCgroupPath(id));
    return {
      id,
      shellLauncher: (sessionName: string) => this.shellLauncher(id, sessionName),
      spawn: (argv: readonly string[], stdio: SandboxStdio) =>
        spawnProcess(command, [...globalArgs, 'exec', '--cwd', '/', id, ...argv], {
          stdio: stdioEntries(stdio),
          env: { PATH: hostPath },
        }),
      updateLimits: (limits: SandboxLimits) => this.updateLimits(id, limits),
      limitEvents: () => readLimitEvents(cgroup),
      stop: () => this.stop(id, ''),
    };
  }
}

/**
 * The init pid in runc's `state.json` (`init_process_pid`, `init_process_start`: its start time in
 * clock ticks, field 22 of /proc/<pid>/stat), when that process still runs; `undefined` when it does
 * not; `'unknown'` when the file cannot be read or has neither field (a runc that writes it otherwise).
 */
function initPidFromStateFile(path: string): number | undefined | 'unknown' {
  let state: { init_process_pid?: unknown; init_process_start?: unknown };
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as typeof state;
  } catch {
    return 'unknown';
  }
  const pid = state.init_process_pid;
  const start = state.init_process_start;
  if (typeof pid !== 'number' || (typeof start !== 'number' && typeof start !== 'string')) return 'unknown';
  if (pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return startTime === String(start) ? pid : undefined;
  } catch {
    return undefined; // Gone.
  }
}

/** rmdir, ignoring a directory that is not there or not empty. */
function removeEmptyDirectory(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not there, or not empty (an unmount failed: see stop).
  }
}

/** True while the process exists and has not exited (a zombie has). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
