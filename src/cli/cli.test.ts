import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeChatCompletionsUpstream } from '../../test/support/fake-chat-completions-upstream.js';
import type { FakeUpstream } from '../../test/support/scripted-turn.js';

const bin = join(import.meta.dirname, '../../bin/berth.js');
const directory = mkdtempSync(join(tmpdir(), 'berth-cli-'));
let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeChatCompletionsUpstream();
});
/** Every server a test started, killed at the end even if an assertion failed first. */
const children = new Set<ChildProcessWithoutNullStreams>();
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await upstream.close();
  rmSync(directory, { recursive: true, force: true });
});

/** An environment without the caller's provider keys, so only the test's config counts. */
const environment = { PATH: process.env.PATH ?? '', HOME: directory };

function berth(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: environment });
}

/** Starts `berth serve` and resolves with its URL once it prints the line it listens on. */
function serve(
  ...args: string[]
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { env: environment });
  children.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+)[\s\S]*auth: /.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], output: () => output });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`berth serve exited ${code}: ${output}`)));
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('berth CLI', () => {
  it('serves the API from a config file and shuts down cleanly on SIGTERM', async () => {
    const dataDir = join(directory, 'serve');
    const config = join(directory, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: [
          { name: 'local', kind: 'openai-chat', baseURL: upstream.baseURL, apiKey: 'env:LOCAL_KEY' },
        ],
        defaultProvider: 'local',
      }),
    );
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--config', config, '--data-dir', dataDir, '--init'],
      {
        env: { ...environment, LOCAL_KEY: 'secret-from-env' },
      },
    );
    children.add(child);
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\S+)[\s\S]*auth: /.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(output).toContain('requests without a key are accepted');

    const client = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    upstream.script({ text: 'Served by the CLI.' });
    const response = await client.responses.create({ model: 'llama3.2', input: 'hi' });
    expect(response.output_text).toBe('Served by the CLI.');
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer secret-from-env');
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain('local/llama3.2');

    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('creates, lists and revokes keys, and the server then requires one', async () => {
    const dataDir = join(directory, 'keys');
    const created = berth(
      'keys',
      'create',
      '--name',
      'ci',
      '--project',
      'team-a',
      '--data-dir',
      dataDir,
      '--init',
    );
    expect(created.status).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sk-berth-/);

    const listed = berth('keys', 'list', '--data-dir', dataDir);
    expect(listed.stdout).toContain('ci');
    expect(listed.stdout).toContain('project=team-a');
    expect(listed.stdout).not.toContain(secret);

    const { child, output } = await serve('--data-dir', dataDir);
    const url = /listening on (\S+)/.exec(output())?.[1] ?? '';
    expect(output()).toContain('API key required');
    expect((await fetch(`${url}/models`)).status).toBe(401);
    expect((await fetch(`${url}/models`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(
      200,
    );

    // A name alone revokes nothing: it could name several keys.
    const byName = berth('keys', 'revoke', 'ci', '--data-dir', dataDir);
    expect(byName.status).toBe(1);
    expect(byName.stderr).toContain("'ci' is the name of 1 active key: revoke one by its id");
    // Revoking the only key locks the server rather than returning it to keyless mode.
    const id = /^(key_\S+)\tci\t/m.exec(listed.stdout)?.[1] ?? '';
    const revoked = berth('keys', 'revoke', id, '--data-dir', dataDir);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toBe(`revoked ${id} (ci)\n`);
    expect((await fetch(`${url}/models`)).status).toBe(401);
    expect((await fetch(`${url}/models`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(
      401,
    );
    expect(berth('keys', 'revoke', id, '--data-dir', dataDir).status).toBe(1);
    expect(berth('keys', 'revoke', 'ci', '--all', '--data-dir', dataDir).status).toBe(1);
    const exit = exited(child);
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('refuses to listen off loopback without keys', () => {
    const result = berth(
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--data-dir',
      join(directory, 'open'),
      '--init',
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Refusing to listen on 0.0.0.0 without API keys');
  });

  it('refuses a data directory that holds no database unless --init asks for one', () => {
    const mistyped = join(directory, 'mistyped');
    for (const args of [
      ['serve', '--port', '0'],
      ['keys', 'list'],
    ]) {
      const result = berth(...args, '--data-dir', mistyped);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `berth: ${mistyped} holds no Berth database. Check the path; to create a new database there, run the command again with --init.\n`,
      );
      expect(existsSync(mistyped)).toBe(false);
    }
    // The same for an existing directory that is not Berth's, and for a path that is a file.
    const elsewhere = join(directory, 'elsewhere');
    mkdirSync(elsewhere);
    expect(berth('keys', 'list', '--data-dir', elsewhere).status).toBe(1);
    expect(readdirSync(elsewhere)).toEqual([]);
    const file = join(directory, 'a-file');
    writeFileSync(file, 'x');
    const notDirectory = berth('keys', 'create', '--name', 'x', '--data-dir', file, '--init');
    expect(notDirectory.status).toBe(1);
    expect(notDirectory.stderr).toBe(`berth: the data directory ${file} is not a directory.\n`);
    // Asked for, it is created; after that no --init is needed.
    expect(berth('keys', 'create', '--name', 'first', '--data-dir', mistyped, '--init').status).toBe(0);
    expect(berth('keys', 'list', '--data-dir', mistyped).stdout).toContain('\tfirst\t');
  });

  it('says in one line that the port is taken, and exits 1', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const result = berth('serve', '--port', String(port), '--data-dir', join(directory, 'taken'), '--init');
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `berth: port ${port} on 127.0.0.1 is already in use (another Berth?): stop what holds it, or choose another port with --port or "port" in the config.\n`,
      );
    } finally {
      holder.close();
    }
  });

  it('names the bad field of a bad config file and exits non-zero', () => {
    const config = join(directory, 'bad.json');
    writeFileSync(config, JSON.stringify({ providers: [{ name: 'x', kind: 'gemini-native' }] }));
    const result = berth('serve', '--config', config, '--data-dir', join(directory, 'bad'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('providers[0].kind');

    writeFileSync(config, JSON.stringify({ providers: [], colour: 'red' }));
    expect(berth('serve', '--config', config).stderr).toContain('colour');

    writeFileSync(
      config,
      JSON.stringify({ providers: [{ name: 'x', kind: 'openai', apiKey: 'env:NOT_SET_ANYWHERE' }] }),
    );
    expect(berth('serve', '--config', config).stderr).toContain('providers[0].apiKey');
  });
});
