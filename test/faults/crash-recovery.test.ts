import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI, { toFile } from 'openai';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { startFakeOpenAIResponsesUpstream } from '../support/fake-openai-responses-upstream.js';
import { hostMountsMentioning, hostProcessesMentioning } from '../support/host-observations.js';
import { describeEachDriver } from '../support/sandbox-drivers-here.js';
import { skillZip } from '../support/skill-zips.js';
import type { FakeUpstream } from '../support/scripted-turn.js';
import { until } from '../support/until.js';

/**
 * kill -9 while responses stream and run shell commands, then start again on the same data directory:
 * every response a client was told about (a `response.created` event, a background create's answer)
 * must still exist, ended with a clear error, its stream replayable to that end; the database must
 * pass SQLite's integrity check; no sandbox of the dead server may keep running.
 */

const model = 'oai/gpt-5';
/** A reply long enough (400 chunks, 20 ms apart) that no response ends before the crash. */
const slowTurn = { text: 'x'.repeat(2000), chunkSize: 5, chunkDelayMs: 20 } as const;

const upstreams: FakeUpstream[] = [];
const directories: string[] = [];
afterAll(async () => {
  for (const upstream of upstreams) await upstream.close();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/**
 * A fake upstream of the test's own (a crash can leave scripted turns unused: a background response
 * killed before its model call), a data directory, and a config naming them, with `sandbox` settings.
 */
async function prepare(
  sandbox: Record<string, unknown>,
): Promise<{ config: string; dataDir: string; upstream: FakeUpstream }> {
  const upstream = await startFakeOpenAIResponsesUpstream();
  upstreams.push(upstream);
  const directory = mkdtempSync(join(tmpdir(), 'berth-crash-'));
  directories.push(directory);
  const config = join(directory, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      providers: [{ name: 'oai', kind: 'openai', baseURL: upstream.baseURL, apiKey: 'k', maxRetries: 0 }],
      sandbox: { warmPool: 0, ...sandbox },
    }),
  );
  return { config, dataDir: join(directory, 'data'), upstream };
}

/** `berth serve` on a prepared config and data directory; `init` creates the database (the first start). */
function startOn(prepared: { config: string; dataDir: string }, init = false): Promise<BerthProcess> {
  return startBerthProcess([
    '--config',
    prepared.config,
    '--data-dir',
    prepared.dataDir,
    ...(init ? ['--init'] : []),
  ]);
}

function clientOf(berth: BerthProcess): OpenAI {
  return new OpenAI({ baseURL: berth.url, apiKey: 'unused', maxRetries: 0 });
}

/**
 * Starts a streamed response and resolves with its id once `response.created` has arrived, reading
 * on (as a client still connected would) until the stream breaks; `onEvent` sees every event.
 */
async function acknowledgedStream(
  client: OpenAI,
  body: Omit<OpenAI.Responses.ResponseCreateParamsStreaming, 'stream'>,
  onEvent: (event: OpenAI.Responses.ResponseStreamEvent) => void = () => undefined,
): Promise<string> {
  const stream = await client.responses.create({ ...body, stream: true });
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw new Error('the stream ended before response.created');
    onEvent(next.value);
    if (next.value.type === 'response.created') {
      void (async () => {
        for (let rest = await iterator.next(); !rest.done; rest = await iterator.next()) onEvent(rest.value);
      })().catch(() => undefined);
      return next.value.response.id;
    }
  }
}

function integrityCheck(dataDir: string): unknown {
  const db = new Database(join(dataDir, 'berth.sqlite'));
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}

/** After a restart: each acknowledged response exists and ended, failed ones saying why. */
async function expectNoneLost(client: OpenAI, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const response = await client.responses.retrieve(id);
    expect(['failed', 'completed'], id).toContain(response.status);
    if (response.status === 'failed') {
      expect(response.error?.message, id).toMatch(/server restarted while this response was in progress/);
    }
    const types: string[] = [];
    for await (const event of await client.responses.retrieve(id, { stream: true })) types.push(event.type);
    expect(types[0], id).toBe('response.created');
    expect(types.at(-1), id).toBe(response.status === 'failed' ? 'response.failed' : 'response.completed');
  }
}

describe('kill -9 during streaming and background responses', () => {
  it('loses no acknowledged response over three crashes, and the database stays intact', async () => {
    const { config, dataDir, upstream } = await prepare({ driver: 'none' });
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const berth = await startOn({ config, dataDir }, round === 0);
      const client = clientOf(berth);
      // Responses acknowledged before an earlier crash are all there, ended.
      await expectNoneLost(client, acknowledged);
      upstream.script(...Array.from({ length: 8 }, () => slowTurn));
      const round_ = await Promise.all([
        ...Array.from({ length: 6 }, (_, index) =>
          acknowledgedStream(client, { model, input: `round ${round} stream ${index}` }),
        ),
        ...Array.from({ length: 2 }, async (_, index) => {
          const created = await client.responses.create({
            model,
            input: `round ${round} background ${index}`,
            background: true,
          });
          return created.id;
        }),
      ]);
      acknowledged.push(...round_);
      // A random moment while they run: some mid-stream, some with events already flushed.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 600));
      await berth.crash();
      expect(integrityCheck(dataDir)).toBe('ok');
    }
    const berth = await startOn({ config, dataDir });
    try {
      await expectNoneLost(clientOf(berth), acknowledged);
      expect(acknowledged).toHaveLength(24);
    } finally {
      await berth.stop();
    }
  }, 240_000);
});

/** What an upload that was answered must still be after any crash: its id, its bytes. */
interface AcknowledgedUpload {
  readonly kind: 'file' | 'skill';
  readonly id: string;
  /** A skill's is that of the bundle Berth serves back, learned at its first retrieval. */
  sha256?: string;
}

/**
 * Sends a multipart upload by hand, a slice at a time, and never finishes it (the crash ends it): the
 * server is mid-read, with the part's bytes partly on disk.
 */
function unfinishedUpload(
  berth: BerthProcess,
  path: string,
  fields: Record<string, string>,
  file: Buffer,
): void {
  const boundary = `berth-crash-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
      `--${boundary}\r\ncontent-disposition: form-data; name="${path.endsWith('skills') ? 'files' : 'file'}"; filename="big.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
  );
  const request = httpRequest(`${berth.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      // Declared whole, so nothing refuses it for its size; only part of it ever comes.
      'content-length': String(head.length + file.length + boundary.length + 8),
    },
  });
  request.on('error', () => undefined); // The crash resets it.
  request.write(head);
  let sent = 0;
  const slice = 64 * 1024;
  const timer = setInterval(() => {
    if (sent >= file.length - slice || request.destroyed) return clearInterval(timer);
    request.write(file.subarray(sent, sent + slice));
    sent += slice;
  }, 5);
  request.on('close', () => clearInterval(timer));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('kill -9 during uploads', () => {
  it('keeps every answered file and skill byte for byte, and nothing of the unfinished ones', async () => {
    const { config, dataDir } = await prepare({ driver: 'none' });
    const acknowledged: AcknowledgedUpload[] = [];
    /** Every whole file sent, by name: the sha-256 of its bytes. */
    const sent = new Map<string, string>();
    const rounds = 3;
    for (let round = 0; round <= rounds; round += 1) {
      const berth = await startOn({ config, dataDir }, round === 0);
      const client = clientOf(berth);
      try {
        // Everything answered before an earlier crash is there. Besides those, only whole uploads the
        // server finished while the crash cut its answer off may be there, with all their bytes;
        // nothing of an unfinished one.
        const files = await client.files.list({ limit: 100 });
        const fileIds = files.data.map((file) => file.id);
        for (const upload of acknowledged.filter((each) => each.kind === 'file'))
          expect(fileIds).toContain(upload.id);
        for (const file of files.data) {
          const bytes = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
          expect(sha256(bytes), file.filename).toBe(sent.get(file.filename));
        }
        const skills = await client.skills.list({ limit: 100 });
        const skillIds = skills.data.map((skill) => skill.id);
        for (const upload of acknowledged.filter((each) => each.kind === 'skill'))
          expect(skillIds).toContain(upload.id);
        for (const skill of skills.data) expect(skill.name).toMatch(/^crash-\d-\d$/);
        for (const upload of acknowledged) {
          const bytes =
            upload.kind === 'file'
              ? Buffer.from(await (await client.files.content(upload.id)).arrayBuffer())
              : Buffer.from(await (await client.skills.content.retrieve(upload.id)).arrayBuffer());
          upload.sha256 ??= sha256(bytes);
          expect(sha256(bytes), upload.id).toBe(upload.sha256);
        }
        // The start-up cleanup left no partial upload or staging folder behind.
        await vi.waitFor(
          () => {
            expect(readdirSync(join(dataDir, 'files')).filter((name) => name.startsWith('.'))).toEqual([]);
            expect(existsSync(join(dataDir, 'skills', '.staging'))).toBe(false);
          },
          { timeout: 60_000 },
        );
        if (round === rounds) {
          await berth.stop();
          break;
        }

        // Uploads that never finish (large, slow), and small ones answered meanwhile.
        for (let index = 0; index < 3; index += 1) {
          unfinishedUpload(berth, '/files', { purpose: 'user_data' }, randomBytes(8 * 1024 * 1024));
          unfinishedUpload(berth, '/skills', {}, randomBytes(8 * 1024 * 1024));
        }
        const answered = Array.from({ length: 4 }, async (_, index) => {
          const data = randomBytes(256 * 1024 + index);
          sent.set(`round-${round}-${index}.bin`, sha256(data));
          const file = await client.files.create({
            file: await toFile(data, `round-${round}-${index}.bin`),
            purpose: 'user_data',
          });
          acknowledged.push({ kind: 'file', id: file.id, sha256: sha256(data) });
          const zip = skillZip(`crash-${round}-${index}`, 'Survives crashes.');
          const skill = await client.skills.create({ files: await toFile(zip, 'skill.zip') });
          acknowledged.push({ kind: 'skill', id: skill.id });
        });
        // The crash comes at a random moment while uploads are being read and written, answered or
        // not: once the unfinished ones have bytes on disk (how soon differs by machine and Node
        // version: on Node 24 in CI, 100 ms was sometimes too soon), then 0–400 ms later.
        await vi.waitFor(
          () => {
            expect(readdirSync(join(dataDir, 'files')).some((name) => name.endsWith('.partial'))).toBe(true);
            expect(existsSync(join(dataDir, 'skills', '.staging'))).toBe(true);
            expect(readdirSync(join(dataDir, 'skills', '.staging')).length).toBeGreaterThan(0);
          },
          { timeout: 60_000, interval: 10 },
        );
        await Promise.race([
          Promise.allSettled(answered),
          new Promise((resolve) => setTimeout(resolve, Math.random() * 400)),
        ]);
      } catch (error) {
        await berth.crash();
        throw error;
      }
      await berth.crash();
      // The crash did come mid-upload: the unfinished ones left their partial bytes behind.
      expect(
        readdirSync(join(dataDir, 'files')).filter((name) => name.endsWith('.partial')).length,
      ).toBeGreaterThan(0);
      expect(readdirSync(join(dataDir, 'skills', '.staging')).length).toBeGreaterThan(0);
      expect(integrityCheck(dataDir)).toBe('ok');
    }
    expect(acknowledged.length).toBeGreaterThan(0);
  }, 240_000);
});

/**
 * runsc is skipped, visibly: alone this passes (≈30 s), but in two full parallel runs out of three the
 * restart after the kill took past the test's 4 minutes, with the cause not yet found (`runsc state`
 * and `delete` on the dead server's sandbox, each allowed 60 s, are the suspects). Tracked in issue 13.
 */
const runscSkipReason = 'runsc: the restart after kill -9 can take minutes under load (issue 13)';

describeEachDriver('kill -9 while a shell command runs, on %s', (driver) => {
  it.skipIf(driver === 'runsc')(
    `fails the response at the next start and leaves no sandbox of the dead server running${driver === 'runsc' ? ` (skipped: ${runscSkipReason})` : ''}`,
    async () => {
      const { config, dataDir, upstream } = await prepare({ driver });
      const marker = `berth-crash-${process.pid}-${driver}`;
      upstream.script(
        // A subshell execs the sleep, so the session's bash waits for it: `exec` in the shell itself would
        // replace the shell, ending the command (137) within its 200 ms output drain, and under load the
        // response then completed before the crash came.
        {
          shellCalls: [{ commands: [`echo started > /mnt/data/started.txt; (exec -a ${marker} sleep 120)`] }],
        },
        { text: 'never reached' },
      );
      const berth = await startOn({ config, dataDir }, true);
      const client = clientOf(berth);
      let containerId = '';
      const shellCallSeen = new Promise<void>((resolve) => {
        void acknowledgedStream(
          client,
          { model, input: 'run it', tools: [{ type: 'shell', environment: { type: 'container_auto' } }] },
          (event) => {
            if (event.type !== 'response.output_item.added' || event.item.type !== 'shell_call') return;
            const environment = (event.item as { environment?: { container_id?: string } }).environment;
            containerId = environment?.container_id ?? '';
            resolve();
          },
        ).then((id) => (responseId = id));
      });
      let responseId = '';
      await shellCallSeen;
      expect(containerId).toMatch(/^cntr_/);
      // The command is running (or about to): its sandbox is up.
      await until(
        () => hostProcessesMentioning(containerId).length + hostProcessesMentioning(marker).length > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
      await berth.crash();
      expect(integrityCheck(dataDir)).toBe('ok');

      const restarted = await startOn({ config, dataDir });
      try {
        const again = clientOf(restarted);
        await expectNoneLost(again, [responseId]);
        expect((await again.responses.retrieve(responseId)).status).toBe('failed');
        // The dead server's sandbox is stopped in the background after the restart; the container
        // stays (with its files) until it expires or is deleted.
        // (A deadline well inside the test's, so a failure shows what was left rather than a timeout.)
        await vi.waitFor(
          () =>
            expect({
              processes: [...hostProcessesMentioning(marker), ...hostProcessesMentioning(containerId)],
              mounts: hostMountsMentioning(containerId),
            }).toEqual({ processes: [], mounts: [] }),
          { timeout: 150_000, interval: 100 },
        );
        const container = await again.containers.retrieve(containerId);
        expect(container.status).toBe('running');
      } finally {
        await restarted.stop();
      }
    },
    240_000,
  );
});
