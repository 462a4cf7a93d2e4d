import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '../../bin/berth.js');

/** `berth serve` running as its own process (from `dist/`), as an operator runs it. */
export interface BerthProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGKILL: the crash nothing can clean up after. Resolves once it is gone. */
  crash(): Promise<void>;
  /** SIGTERM, resolving with its exit code once it has exited. */
  stop(): Promise<number | null>;
}

/**
 * Starts `berth serve --port 0` with `args` and resolves once it prints where it listens (and which
 * sandbox driver it chose). Its environment is only PATH and HOME (and `environment`).
 */
export function startBerthProcess(
  args: readonly string[],
  environment: NodeJS.ProcessEnv = {},
  /** A command that runs the server in turn, e.g. `['unshare', '--mount']` (it must exec, not fork). */
  wrapper: readonly string[] = [],
): Promise<BerthProcess> {
  const [file, ...rest] = [...wrapper, process.execPath, bin, 'serve', '--port', '0', ...args];
  const child = spawn(file ?? process.execPath, rest, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...environment },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+)[\s\S]*sandbox: /.exec(output);
      if (match?.[1]) {
        resolve({
          child,
          url: match[1],
          output: () => output,
          async crash() {
            child.kill('SIGKILL');
            await exited;
          },
          async stop() {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`berth serve exited ${code} before listening: ${output}`)));
  });
}
