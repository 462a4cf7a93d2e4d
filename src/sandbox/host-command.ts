import { open, readFile } from 'node:fs/promises';
import { hostPath } from './host-path.js';
import { runProcessToEnd, spawnProcess } from './spawner/spawn-process.js';

export { hostPath } from './host-path.js';

/** A host command that failed, with what it printed. */
export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(
      `${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim() || 'no output'}`,
    );
  }
}

/**
 * Runs a host tool (mount, mkfs.ext4, runc, …) with an empty environment except PATH, and returns its
 * stdout. The server's environment (API keys among it) never reaches these tools or what they start.
 */
export async function runHostCommand(
  file: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number; readonly cwd?: string } = {},
): Promise<string> {
  const run = await runProcessToEnd(
    file,
    args,
    { PATH: hostPath },
    {
      input: options.input,
      cwd: options.cwd,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxOutputBytes,
    },
  );
  if (run.code === 0 && run.stopped === undefined) return run.stdout;
  const command = [file, ...args].join(' ');
  const reason = run.stderr || run.startError || run.stopped || (run.signal ? `killed by ${run.signal}` : '');
  throw new HostCommandError(command, reason, run.code);
}

/** Most output a host tool may print before it is stopped. */
const maxOutputBytes = 16 * 1024 * 1024;

/**
 * Runs a host command that hands its standard streams on to a process that outlives it (`runc run
 * --detach` gives them to the container's init): pipes would stay open until that process exits, so
 * the output goes to a file instead, read back only to explain a failure.
 */
export async function runDetachingHostCommand(
  file: string,
  args: readonly string[],
  logPath: string,
): Promise<void> {
  // Created here with owner-only access; the process appends to it.
  await (await open(logPath, 'w', 0o600)).close();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawnProcess(file, args, {
      stdio: ['ignore', { appendTo: logPath }, { appendTo: logPath }],
      env: { PATH: hostPath },
    });
    child.once('error', reject);
    child.once('exit', (exitCode: number | null) => resolve(exitCode));
  });
  if (code !== 0) {
    throw new HostCommandError(
      [file, ...args].join(' '),
      await readFile(logPath, 'utf8').catch(() => ''),
      code,
    );
  }
}
