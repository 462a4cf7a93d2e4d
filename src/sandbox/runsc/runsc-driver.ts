import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rename } from 'node:fs/promises';
import { hostPath } from '../host-command.js';
import { writeCgroupLimits } from '../cgroup-limits.js';
import { RuncDriver, sessionShellArgs } from '../runc/runc-driver.js';
import { sandboxCgroupPath } from '../runc/oci-config.js';
import { hostSeccompArch } from '../seccomp-bpf.js';
import type { SandboxImage, SandboxLimits, SandboxSpec, Sandbox } from '../sandbox-driver.js';
import type { ShellLauncher } from '../shell-launcher.js';
import { supervisedShellArgv } from './session-supervisor.js';

/**
 * Host tasks one process inside the sandbox costs on the ptrace platform (its stub process and the
 * threads that trace it; ≈7.4 measured), and what an idle sandbox costs (≈136: the sentry's and the
 * gofer's threads). The host pids limit is sized from these.
 */
const hostTasksPerProcess = 8;
const hostTasksIdle = 256;

/**
 * gVisor: the runc driver's bundle (the same writable layer, mounts, user namespace and cgroups) run
 * by runsc, so the sandbox's system calls are served by gVisor's own kernel in user space rather than
 * the host's. Global flags: `--platform=ptrace` (the only platform Debian's build has without KVM),
 * `--network=none` (gVisor's netstack with loopback only: no route out) and `--oci-seccomp` (the OCI
 * profile applies inside gVisor, to the container's first process).
 *
 * The OCI user namespace stays: gVisor's gofer creates the sandbox's files with the mapped ids, so they
 * belong to the unprivileged uid 100000 on the host as with runc, and the writable layer prepared for
 * runc is the same. Sessions run under a supervisor inside the sandbox (session-supervisor.ts): runsc
 * cannot pass fd 3, installs no seccomp filter on exec'd processes, and its processes are invisible to
 * the host's /proc.
 *
 * Limits are host cgroups around the whole sandbox — gVisor's own kernel, gofer and stub processes
 * included — so they bound the sandbox as a whole rather than single processes: an allocation or a
 * fork storm past them kills the entire sandbox (every session) instead of one process, or a fork.
 */
export class RunscDriver extends RuncDriver {
  override readonly name = 'runsc' as const;
  override readonly capabilities = { memoryLimit: false, pidsLimit: false, cpuLimit: true, diskQuota: true };

  protected override runtime(): { command: string; globalArgs: string[] } {
    return {
      command: 'runsc',
      globalArgs: ['--root', `${this.runDir}/runsc`, '--platform=ptrace', '--network=none', '--oci-seccomp'],
    };
  }

  /**
   * With egress, `--host-uds=open` lets a process inside connect to a host unix socket bind-mounted
   * in: only the egress proxy's (Berth puts no other sockets in the image, the disk or the skills), and
   * the proxy applies the policy. gVisor's netstack still has only loopback.
   */
  protected override sandboxFlags(spec: SandboxSpec): string[] {
    return spec.egress ? ['--host-uds=open'] : [];
  }

  /** runsc's state files are its own (named by sandbox and container): always ask runsc. */
  protected override mayHaveRuntimeState(): boolean {
    return true;
  }

  /** Always `runsc state` (its state file is not runc's). */
  protected override async initPid(id: string): Promise<number | undefined> {
    return this.initPidFromRuntime(id);
  }

  override async start(spec: SandboxSpec): Promise<Sandbox> {
    if (!hostSeccompArch())
      throw new Error(`the runsc driver supports x86_64 and arm64, not ${process.arch}`);
    return super.start(spec);
  }

  protected override runtimeLimits(limits: SandboxLimits): SandboxLimits {
    return { ...limits, pids: limits.pids * hostTasksPerProcess + hostTasksIdle };
  }

  /**
   * The image's own bash, readable: gVisor's loader reads a binary to load it (an execute-only copy
   * fails with EACCES) and marks every process dumpable anyway; the supervisor's seccomp filter is
   * what keeps commands away from the shell's memory and descriptors here.
   */
  /** gVisor has its own kernel and keyrings: no host keyring is created per sandbox. */
  protected override runArgs(): string[] {
    return [];
  }

  protected override async sessionShellBinary(image: SandboxImage): Promise<string> {
    if (image.bindHostUsr) return '/usr/bin/bash';
    // gVisor's gofer opens the bind source with the sandbox's credentials, which cannot search a data
    // directory under a private home: a readable copy in the run directory (searchable), replaced
    // atomically so a sandbox starting meanwhile never sees half of it.
    const copy = `${this.runDir}/bin/bash-${image.name}`;
    const partial = `${copy}.${randomBytes(6).toString('hex')}`;
    await mkdir(`${this.runDir}/bin`, { recursive: true, mode: 0o711 });
    await copyFile(`${image.rootfs}/usr/bin/bash`, partial);
    await chmod(partial, 0o755);
    await rename(partial, copy);
    return copy;
  }

  /**
   * None: the shell's processes are gVisor's, not the host's, so a host cgroup cannot tell one
   * session's from another's; the session supervisor inside finds them instead.
   */
  protected override sessionCgroupSupport(): Promise<boolean> {
    return Promise.resolve(false);
  }

  protected override shellLauncher(id: string): ShellLauncher {
    const { command, globalArgs } = this.runtime();
    const arch = hostSeccompArch() ?? 'x64';
    return {
      command: '/bin/sh',
      // runsc exec passes only stdin, stdout and stderr into the sandbox: the session's fd 3 (the
      // supervisor's input and the shell's status channel) becomes runsc's stdin.
      args: [
        '-c',
        'exec "$0" "$@" <&3 3<&-',
        command,
        ...globalArgs,
        'exec',
        '--cwd',
        '/mnt/data',
        id,
        ...supervisedShellArgv(arch, sessionShellArgs),
      ],
      env: { PATH: hostPath },
      supervised: true,
    };
  }

  /** runsc has no `update`: the limits are written into the sandbox's cgroups directly. */
  protected override async updateLimits(id: string, limits: SandboxLimits): Promise<void> {
    await writeCgroupLimits(sandboxCgroupPath(id), this.runtimeLimits(limits));
  }
}
