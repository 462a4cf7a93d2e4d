import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCompactionKeyPath, loadCompactionKey } from './compaction-key.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-compaction-key-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('compaction key', () => {
  it('is generated once in the data directory, readable by its owner only, and kept', () => {
    const key = loadCompactionKey(null, dataDir);
    expect(key).toHaveLength(32);
    const path = defaultCompactionKeyPath(dataDir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${key.toString('base64')}\n`);
    expect(loadCompactionKey(null, dataDir)).toEqual(key);
  });

  it('is read from a configured key file, which must exist and hold 32 base64 bytes', () => {
    const keyFile = join(dataDir, 'shared.key');
    expect(() => loadCompactionKey(keyFile, dataDir)).toThrow(/cannot read the compaction key file/);
    writeFileSync(keyFile, Buffer.alloc(32, 7).toString('base64'));
    expect(loadCompactionKey(keyFile, dataDir)).toEqual(Buffer.alloc(32, 7));
    writeFileSync(keyFile, Buffer.alloc(16, 7).toString('base64'));
    expect(() => loadCompactionKey(keyFile, dataDir)).toThrow(/must hold 32 bytes written in base64/);
    writeFileSync(keyFile, 'not base64 at all!');
    expect(() => loadCompactionKey(keyFile, dataDir)).toThrow(/must hold 32 bytes/);
  });
});
