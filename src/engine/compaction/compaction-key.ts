import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactionKeyBytes, generateCompactionKey } from './compaction-sealer.js';

/** The file, inside the data directory, that holds the generated compaction key. */
export function defaultCompactionKeyPath(dataDir: string): string {
  return join(dataDir, 'compaction.key');
}

/**
 * The server's compaction key: 32 bytes, written base64 on one line (what `openssl rand -base64 32`
 * prints), so an operator can make, copy or back one up by hand.
 *
 * With `keyFile` set, that file must exist: a configured path usually means a key shared by several
 * servers, and silently generating a different one there would make their compaction items unreadable
 * to each other. Without it, the key lives in the data directory and is generated on first start,
 * readable by its owner only (`0600`; the directory is `0700` too): whoever reads it can read every
 * compaction summary and forge compaction items.
 *
 * Throws an Error whose message names the file and what is wrong with it.
 */
export function loadCompactionKey(keyFile: string | null, dataDir: string): Buffer {
  if (keyFile !== null) return readKey(keyFile);
  const path = defaultCompactionKeyPath(dataDir);
  try {
    // `wx` creates the file only if it does not exist: an existing key is never overwritten, since
    // replacing it would make every compaction item already handed out unreadable.
    writeFileSync(path, `${generateCompactionKey().toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readKey(path);
}

function readKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the compaction key file ${path}: ${(error as Error).message}`);
  }
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== compactionKeyBytes || key.toString('base64') !== trimmed) {
    throw new Error(
      `the compaction key file ${path} must hold ${compactionKeyBytes} bytes written in base64 ` +
        '(make one with `openssl rand -base64 32`)',
    );
  }
  return key;
}
