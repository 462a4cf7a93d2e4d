import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { Clock } from '../clock.js';
import { openDataDirectoryStore } from '../runtime/start-runtime.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { issueApiKey } from '../keys/issue-api-key.js';

// Over 400 lines on purpose: the Files API's cases, every endpoint through the official client on
// one running server, read best as one list of what a user of /v1/files can rely on.

/** A clock the test moves by hand. */
function manualClock(start: number): Clock & { advanceSeconds(seconds: number): void } {
  let now = start;
  return {
    now: () => now,
    advanceSeconds(seconds) {
      now += seconds * 1000;
    },
  };
}

const projects = ['upload', 'listing', 'alpha', 'beta', 'limits', 'errors', 'expiry'] as const;
type Project = (typeof projects)[number];

interface FilesBerth {
  readonly berth: TestBerth;
  readonly dataDir: string;
  readonly clock: ReturnType<typeof manualClock>;
  client(project: Project): OpenAI;
  /** The names in `<dataDir>/files`. */
  blobs(): string[];
  close(): Promise<void>;
}

/**
 * A Berth whose data directory holds one API key per project before it starts, so each test works in
 * a project of its own (lists are per project) without waiting for keyless mode to end.
 */
async function startFilesBerth(fileMaxBytes?: number): Promise<FilesBerth> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-files-'));
  const store = await openDataDirectoryStore(dataDir);
  const secrets = new Map<Project, string>();
  for (const project of projects) {
    secrets.set(
      project,
      await issueApiKey(store.apiKeys, {
        id: `key_${project}`,
        name: project,
        projectId: project,
        createdAt: 1,
      }),
    );
  }
  await store.close();
  const clock = manualClock(1_800_000_000_000);
  const berth = await startTestBerth({ dataDir, clock, ...(fileMaxBytes ? { fileMaxBytes } : {}) });
  return {
    berth,
    dataDir,
    clock,
    client: (project) => berth.client(secrets.get(project)),
    blobs: () => readdirSync(join(dataDir, 'files')),
    async close() {
      await berth.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const limitBytes = 1024 * 1024;
let files: FilesBerth;
beforeAll(async () => {
  files = await startFilesBerth(limitBytes);
});
afterAll(async () => {
  await files.close();
});

describe('Files API through the official client', () => {
  it('uploads, retrieves, streams back the exact bytes and deletes a file', async () => {
    const client = files.client('upload');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    const created = await client.files.create({
      file: await toFile(bytes, 'all-bytes.bin'),
      purpose: 'user_data',
    });
    expect(created.id).toMatch(/^file-[0-9a-f]{48}$/);
    expect(created).toEqual({
      id: created.id,
      object: 'file',
      bytes: 256,
      created_at: 1_800_000_000,
      filename: 'all-bytes.bin',
      purpose: 'user_data',
      status: 'processed',
      expires_at: null,
    });
    expect(files.blobs()).toContain(created.id);

    expect(await client.files.retrieve(created.id)).toEqual(created);
    const content = await client.files.content(created.id);
    expect(content.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);

    expect(await client.files.delete(created.id)).toEqual({ id: created.id, object: 'file', deleted: true });
    expect(files.blobs()).not.toContain(created.id);
    await expect(client.files.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.files.content(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.files.delete(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('takes an empty file', async () => {
    const client = files.client('upload');
    const created = await client.files.create({
      file: await toFile(Buffer.alloc(0), 'empty.txt'),
      purpose: 'evals',
    });
    expect(created).toMatchObject({ bytes: 0, filename: 'empty.txt', purpose: 'evals' });
    const content = await client.files.content(created.id);
    expect((await content.arrayBuffer()).byteLength).toBe(0);
    await client.files.delete(created.id);
  });

  it('round-trips a file of several megabytes and keeps a non-ASCII filename', async () => {
    const big = await startFilesBerth();
    try {
      const client = big.client('upload');
      const bytes = randomBytes(6 * 1024 * 1024 + 7);
      const created = await client.files.create({
        file: await toFile(bytes, 'résumé ✓.pdf'),
        purpose: 'assistants',
      });
      expect(created).toMatchObject({ bytes: bytes.length, filename: 'résumé ✓.pdf', purpose: 'assistants' });
      const content = await client.files.content(created.id);
      expect(content.headers.get('content-length')).toBe(String(bytes.length));
      expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await big.close();
    }
  });

  it('lists a project’s files newest first, pages with after, orders and filters by purpose', async () => {
    const client = files.client('listing');
    const purposes = ['user_data', 'batch', 'vision', 'user_data', 'evals'] as const;
    const created: string[] = [];
    for (const [index, purpose] of purposes.entries()) {
      const file = await client.files.create({
        file: await toFile(Buffer.from(`file ${index}`), `${index}.txt`),
        purpose,
      });
      created.push(file.id);
    }

    const first = await client.files.list({ limit: 2 });
    expect(first.data.map((file) => file.id)).toEqual([created[4], created[3]]);
    expect(first.has_more).toBe(true);
    const everyId: string[] = [];
    for await (const file of client.files.list({ limit: 2, order: 'asc' })) everyId.push(file.id);
    expect(everyId).toEqual(created);

    const userData = await client.files.list({ purpose: 'user_data' });
    expect(userData.data.map((file) => file.id)).toEqual([created[3], created[0]]);
    expect(userData.has_more).toBe(false);
    // A batch file expires after 30 days unless told otherwise, as at OpenAI.
    const [batch] = (await client.files.list({ purpose: 'batch' })).data;
    expect(batch?.expires_at).toBe((batch?.created_at ?? 0) + 30 * 24 * 3600);

    await expect(client.files.list({ limit: 0 })).rejects.toMatchObject({ status: 400, param: 'limit' });
    await expect(client.files.list({ order: 'up' as 'asc' })).rejects.toMatchObject({
      status: 400,
      param: 'order',
    });
  });

  it('answers another project’s file exactly as an unknown one', async () => {
    const alpha = files.client('alpha');
    const beta = files.client('beta');
    const file = await alpha.files.create({
      file: await toFile(Buffer.from('private'), 'a.txt'),
      purpose: 'user_data',
    });

    for (const attempt of [
      () => beta.files.retrieve(file.id),
      () => beta.files.content(file.id),
      () => beta.files.delete(file.id),
      () => beta.files.retrieve('file-unknown'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ status: 404, code: 'not_found' });
    }
    expect((await beta.files.list()).data).toEqual([]);
    await expect(alpha.files.retrieve(file.id)).resolves.toMatchObject({ id: file.id });
    expect(files.blobs()).toContain(file.id);
  });

  it('takes a file of exactly files.maxBytes and refuses a larger one with 413, keeping nothing', async () => {
    const client = files.client('limits');
    const exact = await client.files.create({
      file: await toFile(randomBytes(limitBytes), 'exact.bin'),
      purpose: 'user_data',
    });
    expect(exact.bytes).toBe(limitBytes);
    const before = files.blobs().sort();

    for (const size of [limitBytes + 1, 3 * limitBytes]) {
      await expect(
        client.files.create({ file: await toFile(randomBytes(size), 'big.bin'), purpose: 'user_data' }),
      ).rejects.toMatchObject({ status: 413, code: 'request_too_large', param: 'file' });
    }
    expect(files.blobs().sort()).toEqual(before);
    expect((await client.files.list()).data.map((file) => file.id)).toEqual([exact.id]);
  });
});

describe('bad uploads answer OpenAI error envelopes and keep nothing', () => {
  let before: string[];
  beforeAll(() => {
    before = files.blobs().sort();
  });

  const client = () => files.client('errors');

  /** POSTs a body to /v1/files as the `errors` project. */
  async function postFiles(body: string | FormData, contentType?: string) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${client().apiKey}`,
      ...(contentType ? { 'content-type': contentType } : {}),
    };
    const response = await fetch(`${files.berth.baseURL}/files`, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
  }

  function form(entries: [string, string | Blob, string?][]): FormData {
    const data = new FormData();
    for (const [name, value, filename] of entries) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, value, filename);
    }
    return data;
  }

  const blob = () => new Blob([Buffer.from('hello')]);

  it.each([
    ['a missing file', form([['purpose', 'user_data']]), 'file', 'missing_required_parameter'],
    ['a missing purpose', form([['file', blob(), 'a.txt']]), 'purpose', 'missing_required_parameter'],
    [
      'a text field as the file',
      form([
        ['file', 'not a file'],
        ['purpose', 'user_data'],
      ]),
      'file',
      'invalid_type',
    ],
    [
      'two files',
      form([
        ['file', blob(), 'a.txt'],
        ['file', blob(), 'b.txt'],
        ['purpose', 'user_data'],
      ]),
      'file',
      'invalid_request',
    ],
    [
      'a file under another name',
      form([
        ['file', blob(), 'a.txt'],
        ['attachment', blob(), 'b.txt'],
        ['purpose', 'user_data'],
      ]),
      'attachment',
      'unknown_parameter',
    ],
    [
      'an unknown field',
      form([
        ['file', blob(), 'a.txt'],
        ['purpose', 'user_data'],
        ['colour', 'red'],
      ]),
      'colour',
      'unknown_parameter',
    ],
    [
      'a purpose given twice',
      form([
        ['file', blob(), 'a.txt'],
        ['purpose', 'user_data'],
        ['purpose', 'batch'],
      ]),
      'purpose',
      'invalid_value',
    ],
    [
      'a prototype-polluting field',
      form([
        ['file', blob(), 'a.txt'],
        ['purpose', 'user_data'],
        ['__proto__[polluted]', 'yes'],
      ]),
      '__proto__',
      'unknown_parameter',
    ],
  ])('%s is a 400 naming the param', async (_name, body, param, code) => {
    const { status, body: answer } = await postFiles(body);
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ param, code, type: 'invalid_request_error' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a purpose or expires_after OpenAI does not accept, naming the field', async () => {
    const file = async () => toFile(Buffer.from('x'), 'x.txt');
    await expect(
      client().files.create({ file: await file(), purpose: 'fine-tune-results' as 'batch' }),
    ).rejects.toMatchObject({ status: 400, param: 'purpose', code: 'invalid_value' });
    await expect(
      client().files.create({
        file: await file(),
        purpose: 'user_data',
        expires_after: { anchor: 'last_active_at' as 'created_at', seconds: 3600 },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'expires_after.anchor' });
    for (const seconds of [3599, 2_592_001, 3600.5]) {
      await expect(
        client().files.create({
          file: await file(),
          purpose: 'user_data',
          expires_after: { anchor: 'created_at', seconds },
        }),
      ).rejects.toMatchObject({ status: 400, param: 'expires_after.seconds' });
    }
    const { status, body } = await postFiles(
      form([
        ['file', blob(), 'a.txt'],
        ['purpose', 'user_data'],
        ['expires_after[anchor]', 'created_at'],
      ]),
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ param: 'expires_after.seconds', code: 'missing_required_parameter' });
  });

  it('answers a malformed multipart body with a 400', async () => {
    const boundary = 'berth-test-boundary';
    const truncated = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="purpose"',
      '',
      'user_data',
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="a.txt"',
      'Content-Type: text/plain',
      '',
      'the body stops here',
    ].join('\r\n');
    for (const [body, contentType] of [
      [truncated, `multipart/form-data; boundary=${boundary}`],
      ['no boundary at all', 'multipart/form-data'],
      [
        `--other\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--other--\r\n`,
        `multipart/form-data; boundary=${boundary}`,
      ],
    ] as const) {
      const { status, body: answer } = await postFiles(body, contentType);
      expect(status).toBe(400);
      expect(Object.keys(answer.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    }
  });

  it('removes the partial file when the client goes away mid-upload', async () => {
    const boundary = 'abandoned';
    const url = new URL(`${files.berth.baseURL}/files`);
    const request = httpRequest(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${client().apiKey}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
    });
    request.on('error', () => {});
    request.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n${'x'.repeat(64 * 1024)}`,
    );
    const partial = () => files.blobs().filter((name) => name.endsWith('.partial'));
    await vi.waitFor(() => expect(partial()).toHaveLength(1), { timeout: 60_000, interval: 20 });
    request.destroy();
    await vi.waitFor(() => expect(partial()).toEqual([]), { timeout: 60_000, interval: 20 });
  });

  it('answers a JSON body with a 415', async () => {
    const { status, body } = await postFiles(JSON.stringify({ purpose: 'user_data' }), 'application/json');
    expect(status).toBe(415);
    expect(body.error).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('left no file behind', async () => {
    expect((await client().files.list()).data).toEqual([]);
    expect(files.blobs().sort()).toEqual(before);
  });
});

describe('filenames', () => {
  it('keeps only the last path segment of the client’s filename, without control characters', async () => {
    const boundary = 'b0undary';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="purpose"',
      '',
      'user_data',
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="..\\\\..\\\\etc/pass\twd"',
      'Content-Type: application/octet-stream',
      '',
      'secret',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const client = files.client('upload');
    const response = await fetch(`${files.berth.baseURL}/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${client.apiKey}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body,
    });
    expect(response.status).toBe(200);
    const file = (await response.json()) as { id: string; filename: string };
    expect(file.filename).toBe('passwd');
    expect(files.blobs()).toContain(file.id);
    await client.files.delete(file.id);
  });
});

describe('expiry', () => {
  it('treats an expired file as deleted and removes it at the next sweep (here: the restart)', async () => {
    const expiring = await startFilesBerth();
    let restarted: TestBerth | undefined;
    try {
      const client = expiring.client('expiry');
      const file = await client.files.create({
        file: await toFile(Buffer.from('short-lived'), 'brief.txt'),
        purpose: 'user_data',
        expires_after: { anchor: 'created_at', seconds: 3600 },
      });
      expect(file.expires_at).toBe(file.created_at + 3600);
      const keeper = await client.files.create({
        file: await toFile(Buffer.from('kept'), 'kept.txt'),
        purpose: 'vision',
      });

      expiring.clock.advanceSeconds(3599);
      await expect(client.files.retrieve(file.id)).resolves.toMatchObject({ id: file.id });

      expiring.clock.advanceSeconds(1);
      await expect(client.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
      await expect(client.files.content(file.id)).rejects.toMatchObject({ status: 404 });
      await expect(client.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
      expect((await client.files.list()).data.map((entry) => entry.id)).toEqual([keeper.id]);

      // The start-up sweep removes the expired file's blob and metadata; the other file stays.
      await expiring.berth.stopServer();
      restarted = await expiring.berth.restart();
      expect(existsSync(join(expiring.dataDir, 'files', file.id))).toBe(false);
      expect(await restarted.runtime.store.files.getFile('expiry', file.id)).toBeUndefined();
      expect(expiring.blobs()).toEqual([keeper.id]);
    } finally {
      await restarted?.close();
      await expiring.close();
    }
  });
});
