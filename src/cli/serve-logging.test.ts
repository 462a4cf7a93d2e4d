import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../../test/support/berth-process.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-logging-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let servers = 0;

/** `berth serve` with `flags`, containers off, on a fresh data directory. */
function serve(...flags: string[]): Promise<BerthProcess> {
  const dataDir = join(directory, `data-${servers++}`);
  return startBerthProcess(['--data-dir', dataDir, '--init', '--driver', 'none', ...flags]);
}

/** Every JSON line the server wrote, once it has exited (so the log is flushed). */
function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const secretKey = 'sk-proj-never-in-a-log-0123456789';
const secretPrompt = 'the prompt that must not be logged';

describe('berth serve logging', () => {
  it('writes one JSON access line per request, with the caller’s request id, and no key, body or query', async () => {
    const server = await serve();
    const origin = new URL(server.url).origin;
    const traced = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'trace-4bf92f35:01' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-4bf92f35:01');
    // Not a plain token: replaced, so a caller cannot put what it likes into log lines and headers.
    const forged = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'a b" level=error' } });
    const minted = forged.headers.get('x-request-id');
    expect(minted).toMatch(/^req_/);
    const refused = await fetch(`${server.url}/responses?secret=${encodeURIComponent(secretPrompt)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nowhere/none', input: secretPrompt }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const refusedId = refused.headers.get('x-request-id');
    expect(await server.stop()).toBe(0);

    const output = server.output();
    expect(output).not.toContain(secretKey);
    expect(output).not.toContain(secretPrompt);
    expect(output).not.toContain('secret=');
    const access = jsonLines(output).filter((line) => line.message === 'request');
    expect(access).toEqual([
      {
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        level: 'info',
        message: 'request',
        requestId: 'trace-4bf92f35:01',
        method: 'GET',
        route: '/healthz',
        path: '/healthz',
        status: 200,
        durationMs: expect.any(Number) as number,
      },
      expect.objectContaining({ requestId: minted, route: '/healthz', status: 200 }),
      expect.objectContaining({
        requestId: refusedId,
        method: 'POST',
        route: '/v1/responses',
        path: '/v1/responses',
        status: refused.status,
      }),
    ]);
  });

  it('writes no access line at --log-level warn, and readable lines with --log-format pretty', async () => {
    const quiet = await serve('--log-level', 'warn');
    await fetch(new URL('/healthz', quiet.url));
    expect(await quiet.stop()).toBe(0);
    expect(jsonLines(quiet.output()).filter((line) => line.message === 'request')).toEqual([]);

    const pretty = await serve('--log-format', 'pretty');
    await fetch(new URL('/healthz', pretty.url));
    expect(await pretty.stop()).toBe(0);
    // pino-pretty: a headline per entry, then its fields one per line beneath it.
    const output = pretty.output();
    expect(output).toMatch(/^\[[\d:.]+\] INFO: request$/m);
    expect(output).toMatch(/^ {4}route: "\/healthz"$/m);
    expect(jsonLines(output).filter((line) => line.message === 'request')).toEqual([]);
  });
});
