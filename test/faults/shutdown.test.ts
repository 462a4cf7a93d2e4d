import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess } from '../support/berth-process.js';
import { startFakeOpenAIResponsesUpstream } from '../support/fake-openai-responses-upstream.js';
import type { FakeUpstream } from '../support/scripted-turn.js';

const bin = join(import.meta.dirname, '../../bin/berth.js');

let upstream: FakeUpstream;
let directory: string;
beforeAll(async () => {
  upstream = await startFakeOpenAIResponsesUpstream();
  directory = mkdtempSync(join(tmpdir(), 'berth-shutdown-'));
});
afterAll(async () => {
  await upstream.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A raw connection that sends `request` and resolves once the answer's status line has arrived. */
async function rawRequest(url: URL, request: string): Promise<{ socket: Socket; statusLine: string }> {
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.write(request);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  // Whatever comes after is never read or answered: a peer that has gone quiet.
  socket.pause();
  return { socket, statusLine: chunk.toString('latin1').split('\r\n')[0] ?? '' };
}

function upgrade(url: URL, authorization: string): string {
  return (
    `GET ${url.pathname}/responses HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    `${authorization}\r\n`
  );
}

describe('SIGTERM with clients connected', () => {
  it('ends streams with an error event, cuts peers that hold on, records what ran, and exits 0', async () => {
    const config = join(directory, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: [{ name: 'oai', kind: 'openai', baseURL: upstream.baseURL, apiKey: 'k', maxRetries: 0 }],
        sandbox: { driver: 'none' },
        shutdownGraceMs: 1000,
      }),
    );
    const dataDir = join(directory, 'data');
    const created = spawnSync(
      process.execPath,
      [bin, 'keys', 'create', '--name', 'ops', '--data-dir', dataDir, '--init'],
      { encoding: 'utf8' },
    );
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    const berth = await startBerthProcess(['--config', config, '--data-dir', dataDir]);
    const url = new URL(berth.url);

    // A WebSocket refused for want of a key, whose client keeps its end open.
    const refused = await rawRequest(url, upgrade(url, ''));
    expect(refused.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    // An accepted WebSocket whose client will never answer the close handshake.
    const silent = await rawRequest(url, upgrade(url, `Authorization: Bearer ${key}\r\n`));
    expect(silent.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    // An idle keep-alive connection.
    const idle = await rawRequest(
      url,
      `GET ${url.pathname}/models HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${key}\r\n\r\n`,
    );
    expect(idle.statusLine).toBe('HTTP/1.1 200 OK');
    // And a response streaming when the signal comes.
    upstream.script({ text: 'z'.repeat(2000), chunkSize: 5, chunkDelayMs: 20 });
    const client = new OpenAI({ baseURL: berth.url, apiKey: key, maxRetries: 0 });
    const stream = await client.responses.create({ model: 'oai/gpt-5', input: 'Long', stream: true });
    let id = '';
    const types: string[] = [];
    let signalled: Promise<number | null> | undefined;
    const consumed = (async () => {
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') signalled ??= berth.stop();
      }
    })();
    await expect(consumed).rejects.toThrow(/shut down/);
    // The process exits (the test's own timeout is the only deadline) and says it went cleanly.
    expect(await signalled).toBe(0);
    expect(types).toContain('response.output_text.delta');
    for (const { socket } of [refused, silent, idle]) {
      socket.resume();
      if (!socket.destroyed) await once(socket, 'close');
    }

    const restarted = await startBerthProcess(['--config', config, '--data-dir', dataDir]);
    try {
      const again = new OpenAI({ baseURL: restarted.url, apiKey: key, maxRetries: 0 });
      const stored = await again.responses.retrieve(id);
      expect(stored.status).toBe('failed');
      expect(stored.error?.message).toMatch(/shut down/);
    } finally {
      await restarted.stop();
    }
  });
});
