import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRandomIdGenerator } from '../ids.js';
import { silentLogger } from '../logger.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { FileStore, Store } from '../store/store.js';
import { FileService, type FileServiceOptions } from './file-service.js';
import { partialPathFor } from './partial-file.js';

let root: string;
let directory: string;
let store: Store;
let nowMs: number;
const clock = { now: () => nowMs };

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-file-service-'));
  directory = join(root, 'files');
  store = await openSqliteStore(join(root, 'berth.sqlite'));
  nowMs = 1_000_000_000;
});
afterEach(async () => {
  vi.useRealTimers();
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

function service(options: Partial<FileServiceOptions> = {}): FileService {
  return new FileService({
    store: store.files,
    ids: createRandomIdGenerator(),
    clock,
    logger: silentLogger,
    directory,
    maxBytes: 1024,
    ...options,
  });
}

async function createText(files: FileService, text: string, expiresAfterSeconds?: number) {
  return files.create('proj', async (path) => {
    await writeFile(path, text);
    return { filename: 'a.txt', purpose: 'user_data', expiresAfterSeconds };
  });
}

describe('FileService', () => {
  it('records the blob’s own size and hands out its path', async () => {
    const files = service();
    await files.start();
    const file = await createText(files, 'hello');
    expect(file).toMatchObject({ bytes: 5, createdAt: 1_000_000, expiresAt: null, projectId: 'proj' });
    expect(await files.openContent('proj', file.id)).toEqual({ file, path: join(directory, file.id) });
    expect(await files.openContent('other', file.id)).toBeUndefined();
    await files.close();
  });

  it('keeps nothing when writing the bytes or recording the file fails', async () => {
    const files = service();
    await files.start();
    await expect(
      files.create('proj', async (path) => {
        await writeFile(path, 'half');
        throw new Error('client went away');
      }),
    ).rejects.toThrow('client went away');
    const failingStore: FileStore = {
      ...store.files,
      createFile: () => Promise.reject(new Error('database is full')),
    };
    await expect(createText(service({ store: failingStore }), 'unrecorded')).rejects.toThrow(
      'database is full',
    );
    expect(readdirSync(directory)).toEqual([]);
    await files.close();
  });

  it('sweeps expired files, metadata and bytes, and nothing else', async () => {
    const files = service();
    await files.start();
    const brief = await createText(files, 'brief', 60);
    const longer = await createText(files, 'longer', 120);
    const kept = await createText(files, 'kept');
    nowMs += 60_000;
    expect(await files.get('proj', brief.id)).toBeUndefined();
    expect(await files.delete('proj', brief.id)).toBe(false);
    expect(await files.sweepExpired()).toBe(1);
    expect(await store.files.getFile('proj', brief.id)).toBeUndefined();
    expect(readdirSync(directory).sort()).toEqual([longer.id, kept.id].sort());
    expect(await files.sweepExpired()).toBe(0);
    await files.close();
  });

  it('sweeps periodically once started', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const files = service({ sweepIntervalMs: 1000 });
    await files.start();
    const brief = await createText(files, 'brief', 60);
    nowMs += 60_000;
    const sweep = vi.spyOn(files, 'sweepExpired');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sweep).toHaveBeenCalledTimes(1);
    expect(await sweep.mock.results[0]?.value).toBe(1);
    expect(await store.files.getFile('proj', brief.id)).toBeUndefined();
    expect(readdirSync(directory)).toEqual([]);
    await files.close();
  });

  it('removes partial uploads and blobs without metadata at start-up, and only those', async () => {
    const first = service();
    await first.start();
    const kept = await createText(first, 'kept');
    await first.close();
    mkdirSync(directory, { recursive: true });
    const orphan = 'file-0123456789abcdef';
    writeFileSync(join(directory, orphan), 'left by a crash');
    writeFileSync(partialPathFor(join(directory, 'file-fedcba')), 'half an upload');
    writeFileSync(join(directory, 'README'), 'not ours to remove');

    const second = service();
    await second.start();
    expect(readdirSync(directory).sort()).toEqual(['README', kept.id].sort());
    await second.close();
  });
});
