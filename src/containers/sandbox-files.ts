import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sandbox } from '../sandbox/sandbox-driver.js';

/** Where a container's artifacts live, inside the container. */
export const dataDirectory = '/mnt/data';

/** Most files one listing reports (a command can create millions; the API lists what it can). */
const listingLimit = 10_000;

/** Most output a listing can have: `listingLimit` entries of a size and a path of at most PATH_MAX. */
export const listingOutputLimit = listingLimit * (4096 + 32);

/** Most bytes one read returns: a bound even for a path swapped for an endless device mid-read. */
const readLimitBytes = 1024 ** 3;

/**
 * Run by `sh` inside the sandbox: the path must resolve to itself (no symlink anywhere on it, not
 * even a directory on the way), be a regular file, and is then read without following a symlink,
 * without blocking on a FIFO swapped in since the check, and at most `$2` bytes. Exit 3: refused.
 */
const readScript =
  'r=$(realpath -e -- "$1") && [ "$r" = "$1" ] && [ -f "$1" ] && [ ! -L "$1" ] || exit 3; ' +
  'exec dd if="$1" iflag=nofollow,nonblock,count_bytes bs=65536 count="$2" status=none';

/**
 * File operations on a container, run as programs *inside* its sandbox (cat, find, rm) rather than
 * through the host's view of its disk. Every path is then resolved by the sandbox's own kernel view:
 * a symlink a command planted (to /etc/shadow, to the server's database) points into the container's
 * own root, never the host's, and a path swapped between a check and a use can only ever name the
 * container's own files. It costs one process start per operation, which the file APIs can afford.
 */
export class SandboxFiles {
  /**
   * `runInSession` runs a shell command in a long-lived session of Berth's own in the same sandbox and
   * answers its stdout: listings go through it, because starting a program in a runc sandbox costs
   * tens of milliseconds and a command in a live shell about one.
   */
  constructor(
    private readonly sandbox: Sandbox,
    private readonly runInSession?: (command: string) => Promise<string>,
  ) {}

  /**
   * Regular files under /mnt/data (symlinks and special files are not listed), with their sizes and
   * modification times (epoch milliseconds, as the sandbox's kernel stamped them).
   */
  async list(): Promise<{ path: string; bytes: number; modifiedMs: number }[]> {
    // Cut inside the sandbox, so a tree of millions of files costs the server one bounded read.
    const command = `find ${dataDirectory} -xdev -type f -printf '%s %T@ %p\\0' | head -z -n ${listingLimit}`;
    const output = this.runInSession
      ? await this.runInSession(command)
      : (await this.#capture(['/usr/bin/sh', '-c', command])).toString('utf8');
    const files: { path: string; bytes: number; modifiedMs: number }[] = [];
    for (const entry of output.split('\0')) {
      // `<size> <seconds>.<fraction> <path>`: the path is the rest, spaces and all.
      const first = entry.indexOf(' ');
      const second = entry.indexOf(' ', first + 1);
      if (first < 0 || second < 0) continue;
      files.push({
        bytes: Number(entry.slice(0, first)),
        modifiedMs: Math.floor(Number(entry.slice(first + 1, second)) * 1000),
        path: entry.slice(second + 1),
      });
      if (files.length === listingLimit) break;
    }
    return files;
  }

  /** Writes `content` to `path` (replacing it); resolves with the number of bytes written. */
  async write(path: string, content: Readable): Promise<number> {
    const child = this.sandbox.spawn(
      ['/usr/bin/dd', `of=${path}`, 'bs=1M', 'status=none'],
      ['pipe', 'ignore', 'pipe'],
    );
    const stderr = collect(child.stderr);
    let bytes = 0;
    content.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const exit = exitCode(child);
    await pipeline(content, child.stdin as Writable).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    if ((await exit) !== 0) throw new Error(`writing ${path} failed: ${(await stderr).toString().trim()}`);
    return bytes;
  }

  /**
   * Streams the file's bytes; rejects when it is not a regular file reached without symlinks (gone,
   * a directory, a FIFO, a device, or a path a command re-pointed after it was listed).
   */
  async read(path: string): Promise<Readable> {
    const child = this.sandbox.spawn(
      ['/usr/bin/sh', '-c', readScript, 'sh', path, String(readLimitBytes)],
      ['ignore', 'pipe', 'pipe'],
    );
    const stdout = child.stdout as Readable;
    const stderr = collect(child.stderr);
    const output = new PassThrough();
    // Wait for the first bytes or the end, so a missing file is an error before any byte is sent.
    const first = await new Promise<'data' | 'closed'>((resolve) => {
      stdout.once('data', (chunk: Buffer) => {
        output.write(chunk);
        resolve('data');
      });
      child.once('close', () => resolve('closed'));
    });
    if (first === 'closed') {
      if (child.exitCode !== 0)
        throw new Error(`reading ${path} failed: ${(await stderr).toString().trim()}`);
      output.end();
      return output;
    }
    stdout.pipe(output);
    output.on('close', () => child.kill('SIGKILL'));
    return output;
  }

  async remove(path: string): Promise<void> {
    await this.#capture(['/usr/bin/rm', '-f', '--', path]);
  }

  async #capture(argv: readonly string[]): Promise<Buffer> {
    const child = this.sandbox.spawn(argv, ['ignore', 'pipe', 'pipe']);
    const [stdout, stderr, code] = await Promise.all([
      collect(child.stdout),
      collect(child.stderr),
      exitCode(child),
    ]);
    if (code !== 0) throw new Error(`${argv[0]} failed (${code}): ${stderr.toString().trim()}`);
    return stdout;
  }
}

function collect(stream: Readable | null): Promise<Buffer> {
  return new Promise((resolve) => {
    if (!stream) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

function exitCode(child: {
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  exitCode: number | null;
}): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}
