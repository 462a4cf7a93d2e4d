import { toFile } from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';
import { describeEachDriver } from '../../test/support/sandbox-drivers-here.js';

interface ExecOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly outcome: { type: 'exit'; exit_code: number } | { type: 'timeout' };
}

async function exec(
  berth: TestBerth,
  containerId: string,
  body: Record<string, unknown>,
): Promise<{ status: number; json: { output: ExecOutput[] } & Record<string, unknown> }> {
  const response = await fetch(`${berth.baseURL}/containers/${containerId}/exec`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as { output: ExecOutput[] } };
}

describeEachDriver('Containers API on %s', (driver) => {
  let berth: TestBerth;

  beforeAll(async () => {
    berth = await startTestBerth({ sandbox: { driver, warmPool: 1 } });
  });
  afterAll(async () => {
    await berth?.close();
  });

  it('creates, retrieves, lists and deletes containers through the official client', async () => {
    const client = berth.client();
    const created = await client.containers.create({ name: 'first', memory_limit: '4g' });
    expect(created).toMatchObject({
      object: 'container',
      name: 'first',
      status: 'running',
      memory_limit: '4g',
      expires_after: { anchor: 'last_active_at', minutes: 20 },
      network_policy: { type: 'disabled' },
    });
    expect(created.id).toMatch(/^cntr_/);
    expect(await client.containers.retrieve(created.id)).toMatchObject({ id: created.id, name: 'first' });

    const second = await client.containers.create({ name: 'second' });
    const listed = [];
    for await (const container of client.containers.list({ limit: 1 })) listed.push(container.id);
    expect(listed).toEqual(expect.arrayContaining([created.id, second.id]));
    const byName = await client.containers.list({ name: 'second' });
    expect(byName.data.map((container) => container.id)).toEqual([second.id]);

    await client.containers.delete(second.id);
    await expect(client.containers.retrieve(second.id)).rejects.toMatchObject({ status: 404 });
    await client.containers.delete(created.id);
  });

  it('keeps shell state between commands and requests, per session', async () => {
    const container = await berth.client().containers.create({ name: 'state' });
    const first = await exec(berth, container.id, {
      commands: ['cd /tmp && export X=41', 'f() { echo $((X+1)); }'],
    });
    expect(first.status).toBe(200);
    const second = await exec(berth, container.id, {
      commands: ['pwd', 'f', 'false', 'echo err >&2; exit_code=3'],
    });
    expect(second.json.output.map((entry) => entry.stdout)).toEqual(['/tmp\n', '42\n', '', '']);
    expect(second.json.output[2]?.outcome).toEqual({ type: 'exit', exit_code: 1 });
    expect(second.json.output[3]?.stderr).toBe('err\n');

    const exited = await exec(berth, container.id, {
      commands: ['echo before; echo warn >&2; exit 3', 'echo "[$X]"; pwd'],
    });
    expect(exited.json.output).toEqual([
      { stdout: 'before\n', stderr: 'warn\n', outcome: { type: 'exit', exit_code: 3 } },
      { stdout: '[]\n/mnt/data\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } },
    ]);

    const other = await exec(berth, container.id, { session: 'other', commands: ['pwd; echo "[$X]"'] });
    expect(other.json.output[0]?.stdout).toBe('/mnt/data\n[]\n');
    await berth.client().containers.delete(container.id);
  });

  it('times out a command, kills it, and keeps the session usable', async () => {
    const container = await berth.client().containers.create({ name: 'timeout' });
    // The background job first, under the default timeout: the session's shell may still be starting
    // (a cold sandbox), which must not count against the short timeout below.
    await exec(berth, container.id, { commands: ['sleep 301 &'] });
    const result = await exec(berth, container.id, {
      commands: ['export KEEP=yes; sleep 30', 'echo $KEEP'],
      timeout_ms: 1_000,
    });
    expect(result.json.output[0]).toEqual({ stdout: '', stderr: '', outcome: { type: 'timeout' } });
    expect(result.json.output[1]).toMatchObject({ stdout: 'yes\n', outcome: { type: 'exit', exit_code: 0 } });
    const processes = await exec(berth, container.id, { commands: ['ps -e -o args='] });
    // The timed-out command's sleep is gone; a job an earlier command left in the background is not.
    const running = processes.json.output[0]?.stdout.split('\n');
    expect(running).not.toContain('sleep 30');
    expect(running).toContain('sleep 301');
    await berth.client().containers.delete(container.id);
  });

  it('moves files in and out: uploads, Files API copies and files commands wrote', async () => {
    const client = berth.client();
    const uploaded = await client.files.create({
      file: await toFile(Buffer.from('a,b\n1,2\n'), 'data.csv'),
      purpose: 'user_data',
    });
    const container = await client.containers.create({ name: 'files', file_ids: [uploaded.id] });
    const direct = await client.containers.files.create(container.id, {
      file: await toFile(Buffer.from([0, 1, 2, 255]), 'bytes.bin'),
    });
    expect(direct).toMatchObject({
      object: 'container.file',
      path: '/mnt/data/bytes.bin',
      source: 'user',
      bytes: 4,
    });

    await exec(berth, container.id, {
      commands: ['wc -l < data.csv > lines.txt && mkdir -p out && echo hi > out/x.txt'],
    });
    const files = [];
    for await (const file of client.containers.files.list(container.id)) files.push(file);
    expect(files.map((file) => [file.path, file.source]).sort()).toEqual([
      ['/mnt/data/bytes.bin', 'user'],
      ['/mnt/data/data.csv', 'user'],
      ['/mnt/data/lines.txt', 'assistant'],
      ['/mnt/data/out/x.txt', 'assistant'],
    ]);
    const lines = files.find((file) => file.path === '/mnt/data/lines.txt');
    const content = await client.containers.files.content.retrieve(lines?.id ?? '', {
      container_id: container.id,
    });
    expect(await content.text()).toBe('2\n');
    const bytes = await client.containers.files.content.retrieve(direct.id, { container_id: container.id });
    expect(Buffer.from(await bytes.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));

    await client.containers.files.delete(direct.id, { container_id: container.id });
    const after = await exec(berth, container.id, { commands: ['ls'] });
    expect(after.json.output[0]?.stdout).toBe('data.csv\nlines.txt\nout\n');
    await client.containers.delete(container.id);
  });

  it('streams exec output as server-sent events', async () => {
    const container = await berth.client().containers.create({ name: 'stream' });
    const response = await fetch(`${berth.baseURL}/containers/${container.id}/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commands: ['echo one; sleep 0.2; echo two >&2', 'exit 0'], stream: true }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('event: '))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { type: string });
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('exec.command.started');
    expect(types).toContain('exec.output.delta');
    expect(types.at(-1)).toBe('exec.completed');
    expect(events.filter((event) => event.type === 'exec.output.delta')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 0, stream: 'stdout', delta: 'one\n' }),
        expect.objectContaining({ index: 0, stream: 'stderr', delta: 'two\n' }),
      ]),
    );
    await berth.client().containers.delete(container.id);
  });

  it('answers bad input with the error envelope and changes nothing', async () => {
    const client = berth.client();
    await expect(client.containers.create({ name: '' })).rejects.toMatchObject({
      status: 400,
      param: 'name',
    });
    await expect(
      client.containers.create({
        name: 'x',
        network_policy: { type: 'allowlist', allowed_domains: ['pypi.org', 'not a domain'] },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'network_policy.allowed_domains[1]' });
    await expect(client.containers.create({ name: 'x', file_ids: ['file-nope'] })).rejects.toMatchObject({
      status: 404,
      param: 'file_ids[0]',
    });
    await expect(
      // @ts-expect-error an invalid memory limit on purpose
      client.containers.create({ name: 'x', memory_limit: '2g' }),
    ).rejects.toMatchObject({ status: 400, param: 'memory_limit' });
    await expect(
      client.containers.create({ name: 'x', image: 'never-built' } as Parameters<
        typeof client.containers.create
      >[0]),
    ).rejects.toMatchObject({
      status: 400,
      param: 'image',
      message: expect.stringContaining('berth image build never-built') as unknown,
    });
    const listed = await client.containers.list({ name: 'x' });
    expect(listed.data).toEqual([]);

    const container = await client.containers.create({ name: 'bad-exec' });
    for (const [body, param] of [
      [{}, 'commands'],
      [{ commands: [] }, 'commands'],
      [{ commands: ['true'], timeout_ms: 0 }, 'timeout_ms'],
      [{ commands: ['true'], session: '../x' }, 'session'],
      [{ commands: ['a\0b'] }, 'commands[0]'],
      [{ commands: ['true'], extra: 1 }, 'extra'],
    ] as const) {
      const result = await exec(berth, container.id, body);
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect((result.json as unknown as { error: { param: string } }).error.param).toBe(param);
    }
    expect((await exec(berth, 'cntr_unknown', { commands: ['true'] })).status).toBe(404);
    await client.containers.delete(container.id);
  });
});
