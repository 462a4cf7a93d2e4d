import { BerthError, notFound } from '../../src/errors/berth-error.js';
import type {
  CommandResult,
  ContainerSkillInfo,
  ExecRequest,
  HostedContainer,
  NewContainer,
  ShellHost,
} from '../../src/containers/shell-host.js';
import { OutputCap } from '../../src/sandbox/output-cap.js';
import type { StoredContainerFile } from '../../src/store/store.js';

/** A session's shell state, which a script keeps as it pleases (`cd` → `cwd`, `export` → `env`). */
export interface ScriptedSession {
  /** The session's name (`default` unless the request names another). */
  readonly name: string;
  /** The working directory; `/mnt/data` at first, as in a real container. */
  cwd: string;
  /** Exported variables. */
  readonly env: Map<string, string>;
}

/** What a script gets for each command it answers. */
export interface ScriptedCommand {
  /** The container the command runs in. */
  readonly containerId: string;
  /** The session's state, kept between the session's commands. */
  readonly session: ScriptedSession;
  /** The container's files by absolute path; files under /mnt/data are what `allFiles` lists. */
  readonly files: Map<string, string>;
  /** Output as the command produces it: streamed to `onOutput` at once and kept for the result. */
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** Aborted when the command is interrupted (the request's signal, or its timeout): stop then. */
  readonly signal: AbortSignal;
}

/**
 * The behaviour of the host's "shell", supplied by the test. What it returns ends the command: its
 * `stdout`/`stderr` are appended to what it wrote (and streamed as one last chunk each), its `outcome`
 * is the command's.
 */
export type ShellScript = (
  command: string,
  context: ScriptedCommand,
) => CommandResult | Promise<CommandResult>;

/** One command the host was asked to run, in the order it got them. */
export interface RecordedCommand {
  /** The container it ran in. */
  readonly containerId: string;
  /** The session it ran in. */
  readonly session: string;
  /** The command line. */
  readonly command: string;
  /** The timeout the request gave. */
  readonly timeoutMs: number;
  /** The output cap the request gave. */
  readonly maxOutputBytes: number;
}

export interface InMemoryShellHostOptions {
  /** Answers every command. */
  readonly script: ShellScript;
  /** The default command timeout the host reports; 120 s (Berth's default) when absent. */
  readonly commandTimeoutMs?: number;
  /** Files API files that `fileIds` may name, by id: copied to `/mnt/data/<filename>`. */
  readonly uploadedFiles?: Readonly<Record<string, { readonly filename: string; readonly content: string }>>;
  /** Uploaded skills that a `skill_reference` may name, by skill id. */
  readonly uploadedSkills?: Readonly<Record<string, { readonly name: string; readonly description: string }>>;
}

interface Container {
  readonly id: string;
  readonly projectId: string;
  expired: boolean;
  readonly skills: readonly ContainerSkillInfo[];
  readonly files: Map<string, string>;
  /** Files put there by the user (copied at creation); every other file a command wrote. */
  readonly userPaths: Set<string>;
  /** Stable ids of listed files, by path. */
  readonly fileIds: Map<string, string>;
  readonly sessions: Map<string, { state: ScriptedSession; queue: Promise<unknown> }>;
}

/** SIGINT's exit status, which a real shell's interrupted command ends with. */
const interruptedExitCode = 130;

/**
 * A `ShellHost` for engine unit tests: containers are records in a Map with a file system of strings,
 * and commands are answered by the test's script, with the host doing the plumbing a real one does:
 * per-session queues and state, streaming callbacks in order (start, output, done), the output cap,
 * and interruption by the AbortSignal or the timeout (the script's own signal is aborted then, and the
 * command reported as `exit 130` or `timeout` with what it wrote so far). Every command is recorded.
 */
export class InMemoryShellHost implements ShellHost {
  readonly commandTimeoutMs: number;
  /** Every command the host was asked to run, in order. */
  readonly commands: RecordedCommand[] = [];
  readonly #options: InMemoryShellHostOptions;
  readonly #containers = new Map<string, Container>();
  #nextId = 1;

  constructor(options: InMemoryShellHostOptions) {
    this.#options = options;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 120_000;
  }

  create(projectId: string, request: NewContainer): Promise<HostedContainer> {
    const files = new Map<string, string>();
    for (const [index, fileId] of request.fileIds.entries()) {
      const file = this.#options.uploadedFiles?.[fileId];
      if (!file) return Promise.reject(notFound('file', fileId, `file_ids[${index}]`));
      files.set(`/mnt/data/${file.filename}`, file.content);
    }
    const skills: ContainerSkillInfo[] = [];
    for (const [index, skill] of (request.skills ?? []).entries()) {
      const found = skill.type === 'inline' ? skill : this.#options.uploadedSkills?.[skill.skill_id];
      if (!found) {
        const id = skill.type === 'inline' ? skill.name : skill.skill_id;
        return Promise.reject(notFound('skill', id, `skills[${index}].skill_id`));
      }
      skills.push({ name: found.name, description: found.description, path: `/skills/${found.name}` });
    }
    const id = `cntr_memory${String(this.#nextId++).padStart(4, '0')}`;
    this.#containers.set(id, {
      id,
      projectId,
      expired: false,
      skills,
      files,
      userPaths: new Set(files.keys()),
      fileIds: new Map(),
      sessions: new Map(),
    });
    return Promise.resolve({ id });
  }

  getRunning(projectId: string, id: string): Promise<HostedContainer> {
    return Promise.resolve().then(() => ({ id: this.#running(projectId, id).id }));
  }

  skillsOf(projectId: string, id: string): Promise<readonly ContainerSkillInfo[]> {
    const container = this.#containers.get(id);
    if (!container || container.projectId !== projectId) return Promise.reject(notFound('container', id));
    return Promise.resolve(container.skills);
  }

  async exec(projectId: string, id: string, request: ExecRequest): Promise<readonly CommandResult[]> {
    const container = this.#running(projectId, id);
    let session = container.sessions.get(request.session);
    if (!session) {
      session = {
        state: { name: request.session, cwd: '/mnt/data', env: new Map() },
        queue: Promise.resolve(),
      };
      container.sessions.set(request.session, session);
    }
    // Requests to one session run one after another, as in a real shell.
    const results = session.queue.then(() => this.#runAll(container, session.state, request));
    session.queue = results.catch(() => undefined);
    return results;
  }

  allFiles(projectId: string, id: string): Promise<readonly StoredContainerFile[]> {
    return Promise.resolve().then(() => this.#listFiles(this.#running(projectId, id)));
  }

  #listFiles(container: Container): StoredContainerFile[] {
    const listed: StoredContainerFile[] = [];
    for (const [path, content] of container.files) {
      if (!path.startsWith('/mnt/data/')) continue;
      let fileId = container.fileIds.get(path);
      if (!fileId) {
        fileId = `cfile_memory${container.fileIds.size + 1}`;
        container.fileIds.set(path, fileId);
      }
      listed.push({
        id: fileId,
        containerId: container.id,
        path,
        source: container.userPaths.has(path) ? 'user' : 'assistant',
        bytes: Buffer.byteLength(content),
        createdAt: 0,
      });
    }
    return listed;
  }

  /** The container's file system, to arrange or inspect in a test. */
  filesOf(id: string): Map<string, string> {
    const container = this.#containers.get(id);
    if (!container) throw new Error(`no container ${id}`);
    return container.files;
  }

  /** Expires the container, as idle expiry would: its files go and it is no longer running. */
  expire(id: string): void {
    const container = this.#containers.get(id);
    if (!container) throw new Error(`no container ${id}`);
    container.expired = true;
    container.files.clear();
    container.sessions.clear();
  }

  #running(projectId: string, id: string): Container {
    const container = this.#containers.get(id);
    if (!container || container.projectId !== projectId) throw notFound('container', id);
    if (container.expired) {
      throw new BerthError('not_found', `Container '${id}' has expired; its files are gone.`);
    }
    return container;
  }

  async #runAll(
    container: Container,
    session: ScriptedSession,
    request: ExecRequest,
  ): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    for (const [index, command] of request.commands.entries()) {
      if (request.signal?.aborted) break;
      this.commands.push({
        containerId: container.id,
        session: session.name,
        command,
        timeoutMs: request.timeoutMs,
        maxOutputBytes: request.maxOutputBytes,
      });
      request.onCommandStart?.(index);
      const result = await this.#run(container, session, command, index, request);
      results.push(result);
      request.onCommandDone?.(index, result);
    }
    return results;
  }

  async #run(
    container: Container,
    session: ScriptedSession,
    command: string,
    index: number,
    request: ExecRequest,
  ): Promise<CommandResult> {
    const interrupt = new AbortController();
    const kept = {
      stdout: new OutputCap(request.maxOutputBytes),
      stderr: new OutputCap(request.maxOutputBytes),
    };
    const write = (stream: 'stdout' | 'stderr', text: string) => {
      // Once interrupted, what the script still writes is not the command's any more.
      if (interrupt.signal.aborted || text === '') return;
      const chunk = Buffer.from(text);
      kept[stream].push(chunk);
      request.onOutput?.(index, stream, chunk);
    };
    let stop: (why: 'abort' | 'timeout') => void = () => undefined;
    const interrupted = new Promise<'abort' | 'timeout'>((resolve) => (stop = resolve));
    const timer = setTimeout(() => stop('timeout'), request.timeoutMs);
    const onAbort = () => stop('abort');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    if (request.signal?.aborted) onAbort();
    const context: ScriptedCommand = {
      containerId: container.id,
      session,
      files: container.files,
      write,
      signal: interrupt.signal,
    };
    const ran = Promise.resolve().then(() => this.#options.script(command, context));
    try {
      const ended = await Promise.race([
        ran.then((result) => ({ result })),
        interrupted.then((why) => ({ why })),
      ]);
      if ('why' in ended) {
        interrupt.abort();
        // The script may still settle (or fail) after it was interrupted: that is no longer the command.
        ran.catch(() => undefined);
        return {
          stdout: kept.stdout.text(),
          stderr: kept.stderr.text(),
          outcome:
            ended.why === 'timeout' ? { type: 'timeout' } : { type: 'exit', exit_code: interruptedExitCode },
        };
      }
      write('stdout', ended.result.stdout);
      write('stderr', ended.result.stderr);
      return { stdout: kept.stdout.text(), stderr: kept.stderr.text(), outcome: ended.result.outcome };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** A command's result from its stdout and exit code (and stderr), for scripts. */
export function exited(stdout: string, exitCode = 0, stderr = ''): CommandResult {
  return { stdout, stderr, outcome: { type: 'exit', exit_code: exitCode } };
}

/** A script's way to wait `ms` unless interrupted first (`sleep` in a scripted shell). */
export function sleepUnlessInterrupted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
