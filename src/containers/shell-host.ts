import type { NetworkPolicyRequest } from '../network/egress-policy.js';
import type { CommandResult } from '../sandbox/shell-session.js';
import type { ContainerSkill } from '../skills/container-skills-schema.js';
import type { StoredContainerFile } from '../store/store.js';
import type { MemoryLimit } from './container-object.js';

// The one type of a shell command's outcome: produced by the shell session, answered by the exec
// endpoint and put in `shell_call_output` entries. Re-exported here so the engine never imports sandbox/.
export type { CommandResult } from '../sandbox/shell-session.js';

/** The session commands run in when a request names none. */
export const defaultSessionName = 'default';

/** A container to create: what `POST /v1/containers` and the shell tool's `container_auto` carry. */
export interface NewContainer {
  /** The container's name, for people (not unique). */
  readonly name: string;
  /** Idle minutes (since its last use) after which the container and its files go. */
  readonly expiresAfterMinutes: number;
  /** OpenAI's memory tier, enforced as the sandbox's memory limit. */
  readonly memoryLimit: MemoryLimit;
  /** Files API files copied into `/mnt/data` before the container is handed out. */
  readonly fileIds: readonly string[];
  /** The image to start from (`sandbox.image` when absent): a Berth extension to the API. */
  readonly image?: string | undefined;
  /** Skills to mount read-only at `/skills/<name>` (parsed with `containerSkillsSchema`). */
  readonly skills?: readonly ContainerSkill[] | undefined;
  /**
   * What the container may reach (`disabled` when absent), and where it sits in the request, for the
   * 400 that names the offending domain or secret.
   */
  readonly networkPolicy?: { readonly policy: NetworkPolicyRequest; readonly param: string } | undefined;
}

/** What the engine keeps of a container it was given: its id, which the response names. */
export interface HostedContainer {
  /** `cntr_…`: the id `container_reference` environments and the Containers API use. */
  readonly id: string;
}

/** What the engine tells the model about a skill attached to a container. */
export interface ContainerSkillInfo {
  /** The skill's name, which is also its folder under `/skills`. */
  readonly name: string;
  /** What the skill is for, as its SKILL.md front matter says. */
  readonly description: string;
  /** Where it is inside the sandbox: `/skills/<name>` (its SKILL.md is in there). */
  readonly path: string;
}

/** Commands to run, in order, in one of a container's shell sessions. */
export interface ExecRequest {
  /** Shell command lines, run one after another; each sees the state the previous one left. */
  readonly commands: readonly string[];
  /** The session's name: sessions keep their own shell state (cwd, variables) between requests. */
  readonly session: string;
  /** How long each command may run; past it the command is killed and reported as a `timeout`. */
  readonly timeoutMs: number;
  /** Bytes kept of each of a command's stdout and stderr (head and tail). */
  readonly maxOutputBytes: number;
  /** Live output, for streaming: which command (by index), which stream, the bytes (uncapped). */
  readonly onOutput?: (index: number, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Called as each command starts, before any of its output. */
  readonly onCommandStart?: (index: number) => void;
  /** Called as each command ends, with its result (the same entry `exec` answers for it). */
  readonly onCommandDone?: (index: number, result: CommandResult) => void;
  /**
   * Aborting interrupts the running command (it is reported with the status it ended with, 130 after
   * SIGINT) and runs no further ones; the session and its state survive.
   */
  readonly signal?: AbortSignal;
  /**
   * The response and shell call the commands run for, so the egress log can say what caused each
   * connection made while they run (the Containers API's own `exec` has none).
   */
  readonly origin?: ExecOrigin | undefined;
}

/** A response's shell call, as the cause of what its commands do. */
export interface ExecOrigin {
  readonly responseId: string;
  readonly callId: string;
}

/**
 * The port the engine runs hosted shell calls through: the containers a response's shell tool uses,
 * their sessions and their files. `ContainerService` implements it with real sandboxes; engine unit
 * tests use an in-memory host (`test/support/in-memory-shell-host.ts`). Every method that names a
 * container rejects with a `BerthError` whose code is `not_found` when the container is unknown,
 * belongs to another project or has expired.
 *
 * @example
 * const { id } = await host.create(projectId, { name: 'auto', expiresAfterMinutes: 20, memoryLimit: '1g', fileIds: [] });
 * const [result] = await host.exec(projectId, id, {
 *   commands: ['echo hello'],
 *   session: defaultSessionName,
 *   timeoutMs: host.commandTimeoutMs,
 *   maxOutputBytes: 16 * 1024,
 * });
 * // result: { stdout: 'hello\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }
 */
export interface ShellHost {
  /** How long a command may run when its call names no timeout (`sandbox.commandTimeoutMs`). */
  readonly commandTimeoutMs: number;
  /** Creates a running container (the shell tool's `container_auto`): files copied in, skills mounted. */
  create(projectId: string, request: NewContainer): Promise<HostedContainer>;
  /** The container if it is running (a `container_reference`); `not_found` when not. */
  getRunning(projectId: string, id: string): Promise<HostedContainer>;
  /** The skills mounted in the container, for the model's instructions. */
  skillsOf(projectId: string, id: string): Promise<readonly ContainerSkillInfo[]>;
  /** Runs the commands in order in the named session; one result per command that ran. */
  exec(projectId: string, id: string, request: ExecRequest): Promise<readonly CommandResult[]>;
  /** Every file under /mnt/data, including those commands wrote (for citations in the answer). */
  allFiles(projectId: string, id: string): Promise<readonly StoredContainerFile[]>;
}
