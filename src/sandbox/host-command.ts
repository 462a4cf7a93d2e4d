import { open, readFile } from 'node:fs/promises';
import { hostPath } from './host-path.js';
import { spawnProcess } from './spawner/spawn-process.js';

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
export function runHostCommand(
  file: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<string> {
  const command = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawnProcess(file, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { PATH: hostPath },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let failure: string | undefined;
    const stop = (reason: string) => {
      failure ??= reason;
      child.kill('SIGTERM');
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxOutputBytes) stop(`its output passed ${maxOutputBytes} bytes`);
      else into.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => stop(`it ran past ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(new HostCommandError(command, error.message, null));
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      const errors = Buffer.concat(stderr).toString('utf8');
      if (code === 0 && failure === undefined) resolve(Buffer.concat(stdout).toString('utf8'));
      else
        reject(
          new HostCommandError(command, errors || failure || (signal ? `killed by ${signal}` : ''), code),
        );
    });
    if (options.input !== undefined) {
      child.stdin?.on('error', () => undefined); // A tool that exits without reading all of it.
      child.stdin?.end(options.input);
    }
  });
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
