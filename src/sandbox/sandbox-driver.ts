import type { SpawnedProcess } from './spawner/spawned-process.js';
import type { ShellLauncher } from './shell-launcher.js';

/** Hard limits of one sandbox. Every driver enforces what it can and says what it cannot. */
export interface SandboxLimits {
  readonly memoryBytes: number;
  /** Most processes and threads at once (a fork bomb stops here). */
  readonly pids: number;
  /** CPU time as a number of CPUs (0.5 = half of one core). */
  readonly cpus: number;
  /** Size of the writable layer; writes past it fail with ENOSPC inside the sandbox. */
  readonly diskBytes: number;
}

/** A root filesystem a sandbox starts from, read-only. */
export interface SandboxImage {
  /** `host` or the name of a built image such as `debian`. */
  readonly name: string;
  /** Directory holding the image's root tree on the host. */
  readonly rootfs: string;
  /** The host's `/usr` is bound (read-only, with a writable layer over it) instead of the image's. */
  readonly bindHostUsr: boolean;
}

export interface SandboxSpec {
  /** Also the runtime's container id: `cntr_…`. */
  readonly id: string;
  /** A directory that belongs to this sandbox alone; its files survive a server restart. */
  readonly dir: string;
  readonly image: SandboxImage;
  readonly limits: SandboxLimits;
  /**
   * A host directory to mount at `/skills` read-only (and nosuid, nodev), or undefined for none: the
   * container's attached skills, one folder each. Its files belong to root on the host and are
   * readable by everyone, so the sandbox's unprivileged user can read and run them but neither the
   * mount nor the ownership lets it change, add or remove anything. It lives beside the container's
   * disk, so it is there again when the sandbox is started after a restart.
   */
  readonly skillsDir?: string | undefined;
  /**
   * The sandbox's way out, through its container's egress proxy; undefined for none (no egress
   * forwarder could be built). The network namespace still has only loopback either way.
   */
  readonly egress?: SandboxEgress | undefined;
}

/** What a sandbox needs to reach its egress proxy (see `sandbox/egress/`). */
export interface SandboxEgress {
  /** The proxy's directory on the host (its two sockets and the CA files), searchable by the sandbox's user. */
  readonly socketDir: string;
  /** The static forwarder on the host (a searchable path), run inside as the sandbox's first process. */
  readonly forwarder: string;
  /** Variables added to every process's environment: the proxies, the CA bundle, secrets' placeholders. */
  readonly environment: readonly string[];
}

/** What the escape suite and the README say about a driver's boundary. */
export interface DriverCapabilities {
  readonly memoryLimit: boolean;
  readonly pidsLimit: boolean;
  readonly cpuLimit: boolean;
  readonly diskQuota: boolean;
}

/**
 * The seam between containers and the isolation technology. A driver turns a container's directory
 * into a running sandbox, starts shells inside it and tears it down; everything above (the API,
 * sessions, files, lifecycle) is the same for every driver and is checked by one contract suite.
 */
export interface SandboxDriver {
  readonly name: 'runc' | 'runsc' | 'bwrap';
  readonly capabilities: DriverCapabilities;
  /**
   * Starts the sandbox over `spec.dir`, creating its writable layer on first use and reusing it after
   * a restart (the files survive; processes do not).
   */
  start(spec: SandboxSpec): Promise<Sandbox>;
  /** Kills and unmounts whatever is left of sandbox `id` (a crash, a restart); files are kept. */
  stop(id: string, dir: string): Promise<void>;
  /**
   * Resolves when the driver can still start sandboxes (its tool runs, its runtime directory is
   * writable); rejects saying why. The readiness check calls it.
   */
  probe(): Promise<void>;
  /** Ids of the sandboxes this driver finds running on the host, for the start-up reaper. */
  listRunning(): Promise<readonly string[]>;
  /** After every sandbox was stopped (server shutdown): removes the driver's own runtime state. */
  close(): Promise<void>;
}

/** A program's stdin, stdout and stderr: each a pipe to Berth or nothing. */
export type SandboxStdio = 'ignore' | readonly ('pipe' | 'ignore')[];

/** Every standard stream of a program as a list (`'ignore'` for all three). */
export function stdioEntries(stdio: SandboxStdio): readonly ('pipe' | 'ignore')[] {
  return stdio === 'ignore' ? ['ignore', 'ignore', 'ignore'] : stdio;
}

/** A running sandbox. */
export interface Sandbox {
  readonly id: string;
  /** How a new shell session's bash is started inside the sandbox. */
  shellLauncher(sessionName: string): ShellLauncher;
  /**
   * Runs one program inside the sandbox (file transfers, listings, the `runc exec` baseline), as the
   * sandbox's user, with the same isolation as the shell. The caller owns the child.
   */
  spawn(argv: readonly string[], stdio: SandboxStdio): SpawnedProcess;
  /** Applies new limits to the running sandbox (a pooled sandbox claimed with another memory limit). */
  updateLimits(limits: SandboxLimits): Promise<void>;
  /** Counters of limit hits, to explain why a command died. */
  limitEvents(): LimitEvents;
  /** Kills every process and unmounts; files are kept. */
  stop(): Promise<void>;
}

export interface LimitEvents {
  /** Processes killed by the out-of-memory killer so far. */
  readonly oomKills: number;
  /** Times a fork was refused by the pids limit so far. */
  readonly pidsRefused: number;
}
