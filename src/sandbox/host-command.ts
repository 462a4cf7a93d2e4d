import { execFile, spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';

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
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      {
        env: { PATH: hostPath },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new HostCommandError([file, ...args].join(' '), stderr || error.message, code));
        } else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The PATH host tools are looked up in: the standard system directories only. */
export const hostPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

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
  const log = await open(logPath, 'w', 0o600);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(file, [...args], { stdio: ['ignore', log.fd, log.fd], env: { PATH: hostPath } });
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) {
      throw new HostCommandError(
        [file, ...args].join(' '),
        await readFile(logPath, 'utf8').catch(() => ''),
        code,
      );
    }
  } finally {
    await log.close();
  }
}
