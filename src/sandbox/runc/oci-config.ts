import { egressForwarderArgs, egressForwarderPath, egressMountPoint } from '../egress/egress-mount.js';
import { seccompProfile } from '../seccomp-profile.js';
import type { SandboxEgress, SandboxLimits } from '../sandbox-driver.js';
import { sandboxIdRange, sandboxRootId } from '../writable-layer.js';

export interface OciConfigInput {
  readonly id: string;
  /** The assembled root (absolute, real path: runc refuses symlinks here). */
  readonly rootfs: string;
  /** The execute-only bash on the host, bound into the sandbox at `sessionShellPath`. */
  readonly bashBinary: string;
  readonly limits: SandboxLimits;
  /** Use a user namespace (runc); gVisor provides its own user isolation and does not need one. */
  readonly userNamespace: boolean;
  /** The container's skills on the host (a searchable path), mounted read-only at `/skills`. */
  readonly skillsSource?: string | undefined;
  /** The way out through the container's egress proxy, if any. */
  readonly egress?: SandboxEgress | undefined;
}

/** Where attached skills appear inside every sandbox, one folder per skill. */
export const skillsMountPoint = '/skills';

/** Where the execute-only bash appears inside every sandbox. */
export const sessionShellPath = '/.berth/bash';

/** The environment of every process in a sandbox: nothing of the server's own. */
export const sandboxEnvironment = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOME=/root',
  'LANG=C.UTF-8',
  'TERM=dumb',
  'PYTHONUNBUFFERED=1',
  'DEBIAN_FRONTEND=noninteractive',
];

export const cpuPeriodMicros = 100_000;

/** The cgroup (relative to each hierarchy's root) a sandbox's processes are accounted in. */
export function sandboxCgroupPath(id: string): string {
  return `/berth/${id}`;
}

/**
 * The OCI runtime configuration of one sandbox. Every isolation choice is here, each with its reason;
 * the escape suite (test/escape/escape.test.ts) tries to break them.
 */
export function ociConfig(input: OciConfigInput): object {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      // root inside the user namespace, which is uid 100000 on the host: it owns the sandbox's files
      // and nothing else.
      user: { uid: 0, gid: 0 },
      // pid 1 ignores SIGCHLD (inherited across exec), so the kernel reaps orphaned processes instead
      // of leaving zombies that count against the pids limit; sleep is the lightest idle process.
      // With egress, the forwarder starts first (serving loopback's proxy ports in a session of its
      // own) and then becomes pid 1's program itself; `runc exec` processes inherit this environment.
      args: [
        ...(input.egress ? [...egressForwarderArgs, '--'] : []),
        sessionShellPath,
        '--norc',
        '--noprofile',
        '-c',
        "trap '' CHLD; exec /usr/bin/sleep infinity",
      ],
      env: [...sandboxEnvironment, ...(input.egress?.environment ?? [])],
      cwd: '/mnt/data',
      // No capabilities at all, even inside the user namespace: nothing to chown across users, no raw
      // sockets, no ptrace of the session shell.
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      // setuid binaries cannot raise privileges.
      noNewPrivileges: true,
      // Open files are inherited from the server (raising them would need a host capability).
      rlimits: [
        // No core files written into the sandbox's disk by crashing programs.
        { type: 'RLIMIT_CORE', hard: 0, soft: 0 },
      ],
    },
    root: { path: input.rootfs, readonly: false },
    hostname: 'berth',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      // Only the basic character devices; the device cgroup below refuses every other device.
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      // Read-only sysfs: programs probe it (CPU counts), nothing may change it.
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
      {
        destination: sessionShellPath,
        type: 'bind',
        source: input.bashBinary,
        options: ['bind', 'ro', 'nosuid', 'nodev'],
      },
      // Egress: the forwarder binary and the proxy's directory, read-only, nosuid and nodev. The
      // directory holds only the proxy's sockets and the public CA files; connecting to a socket needs
      // no write access, so nothing inside can replace them. The proxy behind the sockets, not the
      // forwarder, applies the policy: a sandbox that replaces or kills the forwarder only cuts its own
      // way out.
      ...(input.egress === undefined
        ? []
        : [
            {
              destination: egressForwarderPath,
              type: 'bind',
              source: input.egress.forwarder,
              options: ['bind', 'ro', 'nosuid', 'nodev'],
            },
            {
              destination: egressMountPoint,
              type: 'bind',
              source: input.egress.socketDir,
              options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'],
            },
          ]),
      // Skills: read-only, so nothing inside can change or delete them (the files also belong to the
      // host's root, which is nobody inside the user namespace, and the sandbox has no capabilities);
      // nosuid and nodev, so a setuid bit or device node in a bundle means nothing (gVisor ignores both
      // options; there no_new_privs and its own device model do the same). Not noexec: a skill's
      // scripts are meant to be run.
      ...(input.skillsSource === undefined
        ? []
        : [
            {
              destination: skillsMountPoint,
              type: 'bind',
              source: input.skillsSource,
              options: ['bind', 'ro', 'nosuid', 'nodev'],
            },
          ]),
    ],
    linux: {
      ...(input.userNamespace
        ? {
            uidMappings: [{ containerID: 0, hostID: sandboxRootId, size: sandboxIdRange }],
            gidMappings: [{ containerID: 0, hostID: sandboxRootId, size: sandboxIdRange }],
          }
        : {}),
      // Own pid, mount, network (loopback only: no route out), ipc, uts, cgroup and user namespaces.
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
        ...(input.userNamespace ? [{ type: 'user' }] : []),
      ],
      cgroupsPath: sandboxCgroupPath(input.id),
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        // Swap equal to memory: the limit is a real limit, not a spill to swap.
        memory: { limit: input.limits.memoryBytes, swap: input.limits.memoryBytes },
        pids: { limit: input.limits.pids },
        cpu: { quota: Math.round(input.limits.cpus * cpuPeriodMicros), period: cpuPeriodMicros },
      },
      seccomp: seccompProfile(),
      // What the kernel exposes about the host, hidden or read-only (the same list as runc's default).
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/sys/firmware',
        '/sys/devices/virtual/powercap',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
