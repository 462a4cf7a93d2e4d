import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { openDataDirectoryStore } from '../runtime/start-runtime.js';
import { issueApiKey } from '../keys/issue-api-key.js';
import { rawZip, skillMarkdown, skillZip, type RawZipEntry } from '../../test/support/skill-zips.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

// Over 400 lines on purpose: the Skills API's cases (bundles, versions, default/latest, content)
// against one running server, read best as one list of what a user of /v1/skills can rely on.

const mebibyte = 1024 * 1024;

/** A multipart body built byte for byte: each part's filename goes out exactly as given. */
function multipart(
  parts: readonly { field?: string; filename?: string; data: Buffer | string; type?: string }[],
): { body: Buffer; contentType: string } {
  const boundary = `skill-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.field ?? 'files[]'}"${filename}\r\n` +
          `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
        'latin1',
      ),
      Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The entries of a zip, by name, with their contents. */
async function unzip(bytes: Buffer): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  const entries = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

describe('Skills API', () => {
  let berth: TestBerth;
  let dataDir: string;
  const keys = { alpha: '', beta: '' };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-skills-'));
    const store = await openDataDirectoryStore(dataDir);
    for (const project of ['alpha', 'beta'] as const) {
      keys[project] = await issueApiKey(store.apiKeys, {
        id: `key_${project}`,
        name: project,
        projectId: project,
        createdAt: 1,
      });
    }
    await store.close();
    berth = await startTestBerth({ dataDir });
  });
  afterAll(async () => {
    await berth?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const client = (project: 'alpha' | 'beta' = 'alpha') => berth.client(keys[project]);

  async function post(
    path: string,
    form: { body: Buffer; contentType: string },
    project: 'alpha' | 'beta' = 'alpha',
  ) {
    const response = await fetch(`${berth.baseURL}${path}`, {
      method: 'POST',
      headers: { 'content-type': form.contentType, authorization: `Bearer ${keys[project]}` },
      body: form.body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  /** What is on disk for skills, staging folders included. */
  function onDisk(): string[] {
    const root = join(dataDir, 'skills');
    const found: string[] = [];
    for (const entry of readdirSync(root)) {
      found.push(entry);
      if (entry === '.staging')
        found.push(...readdirSync(join(root, entry)).map((name) => `.staging/${name}`));
    }
    return found.sort();
  }

  it('uploads a skill folder as files[], serves it, and keeps it per project', async () => {
    const skill = await client().skills.create({
      files: [
        await toFile(
          Buffer.from(skillMarkdown('basic-math', 'Adds and multiplies numbers.')),
          'basic_math/SKILL.md',
        ),
        await toFile(Buffer.from('print(1 + 1)\n'), 'basic_math/scripts/add.py'),
      ],
    });
    expect(skill).toEqual({
      id: expect.stringMatching(/^skill_/) as unknown,
      object: 'skill',
      name: 'basic-math',
      description: 'Adds and multiplies numbers.',
      created_at: expect.any(Number) as unknown,
      default_version: '1',
      latest_version: '1',
    });
    expect(await client().skills.retrieve(skill.id)).toEqual(skill);
    const listed = [];
    for await (const entry of client().skills.list()) listed.push(entry.id);
    expect(listed).toContain(skill.id);

    const content = await client().skills.content.retrieve(skill.id);
    expect(content.headers.get('content-type')).toBe('application/zip');
    const files = await unzip(Buffer.from(await content.arrayBuffer()));
    expect([...files.keys()].sort()).toEqual(['basic-math/SKILL.md', 'basic-math/scripts/add.py']);
    expect(files.get('basic-math/scripts/add.py')).toBe('print(1 + 1)\n');

    // Another project sees nothing of it.
    await expect(client('beta').skills.retrieve(skill.id)).rejects.toMatchObject({ status: 404 });
    await expect(client('beta').skills.delete(skill.id)).rejects.toMatchObject({ status: 404 });
    await expect(client('beta').skills.versions.list(skill.id)).rejects.toMatchObject({ status: 404 });
    expect((await client('beta').skills.list()).data).toEqual([]);
    await client().skills.delete(skill.id);
  });

  it('uploads a zip, adds versions, moves the default and deletes versions and the skill', async () => {
    const skills = client().skills;
    const skill = await skills.create({
      files: await toFile(skillZip('greeter', 'Says hello.'), 'greeter.zip'),
    });
    expect(skill).toMatchObject({ name: 'greeter', default_version: '1', latest_version: '1' });

    const second = await skills.versions.create(skill.id, {
      files: [
        await toFile(Buffer.from(skillMarkdown('greeter', 'Says hello, version two.')), 'greeter/SKILL.md'),
      ],
    });
    expect(second).toEqual({
      id: expect.stringMatching(/^skillver_/) as unknown,
      object: 'skill.version',
      skill_id: skill.id,
      version: '2',
      name: 'greeter',
      description: 'Says hello, version two.',
      created_at: expect.any(Number) as unknown,
    });
    expect(await skills.retrieve(skill.id)).toMatchObject({ default_version: '1', latest_version: '2' });

    const third = await skills.versions.create(skill.id, {
      default: true,
      files: await toFile(skillZip('greeter', 'Says hello, version three.'), 'v3.zip'),
    });
    expect(third.version).toBe('3');
    expect(await skills.retrieve(skill.id)).toMatchObject({
      default_version: '3',
      latest_version: '3',
      description: 'Says hello, version three.',
    });

    const ascending = [];
    for await (const version of skills.versions.list(skill.id, { order: 'asc', limit: 1 }))
      ascending.push(version.version);
    expect(ascending).toEqual(['1', '2', '3']);
    expect((await skills.versions.list(skill.id)).data.map((version) => version.version)).toEqual([
      '3',
      '2',
      '1',
    ]);
    expect(await skills.versions.retrieve('2', { skill_id: skill.id })).toEqual(second);

    const updated = await skills.update(skill.id, { default_version: '2' });
    expect(updated).toMatchObject({ default_version: '2', description: 'Says hello, version two.' });
    const defaultContent = await unzip(
      Buffer.from(await (await skills.content.retrieve(skill.id)).arrayBuffer()),
    );
    expect(defaultContent.get('greeter/SKILL.md')).toContain('version two');
    const v3Content = await skills.versions.content.retrieve('3', { skill_id: skill.id });
    expect((await unzip(Buffer.from(await v3Content.arrayBuffer()))).get('greeter/SKILL.md')).toContain(
      'version three',
    );

    await expect(skills.update(skill.id, { default_version: '9' })).rejects.toMatchObject({
      status: 404,
      param: 'default_version',
    });
    await expect(skills.versions.delete('2', { skill_id: skill.id })).rejects.toMatchObject({
      status: 400,
      param: 'version',
    });
    expect(await skills.versions.delete('3', { skill_id: skill.id })).toEqual({
      id: third.id,
      object: 'skill.version.deleted',
      deleted: true,
      version: '3',
    });
    expect(await skills.retrieve(skill.id)).toMatchObject({ default_version: '2', latest_version: '2' });
    await expect(skills.versions.retrieve('3', { skill_id: skill.id })).rejects.toMatchObject({
      status: 404,
    });
    await expect(skills.versions.content.retrieve('3', { skill_id: skill.id })).rejects.toMatchObject({
      status: 404,
    });
    // Numbers are never reused.
    const fourth = await skills.versions.create(skill.id, {
      files: await toFile(skillZip('greeter', 'Four.'), 'v4.zip'),
    });
    expect(fourth.version).toBe('4');

    expect(await skills.delete(skill.id)).toEqual({ id: skill.id, object: 'skill.deleted', deleted: true });
    await expect(skills.retrieve(skill.id)).rejects.toMatchObject({ status: 404 });
    await expect(skills.content.retrieve(skill.id)).rejects.toMatchObject({ status: 404 });
    expect(existsSync(join(dataDir, 'skills', skill.id))).toBe(false);
  });

  it('refuses every bad bundle with a 400 naming files, and keeps nothing', async () => {
    const before = onDisk();
    const md = (name: string, description: string) => skillMarkdown(name, description);
    const good = md('ok', 'Fine.');
    const zip = (entries: RawZipEntry[]) => ({
      filename: 'skill.zip',
      data: rawZip(entries),
      field: 'files',
    });
    const cases: [string, Parameters<typeof multipart>[0], RegExp][] = [
      ['no SKILL.md', [{ filename: 's/README.md', data: 'hi' }], /no SKILL\.md/],
      ['no front matter', [{ filename: 's/SKILL.md', data: '# just text' }], /front matter/],
      ['unclosed front matter', [{ filename: 's/SKILL.md', data: '---\nname: x\n' }], /not closed/],
      ['no name', [{ filename: 's/SKILL.md', data: '---\ndescription: d\n---\n' }], /no name/],
      ['no description', [{ filename: 's/SKILL.md', data: '---\nname: x\n---\n' }], /no description/],
      ['a bad name', [{ filename: 's/SKILL.md', data: md('Bad_Name', 'd') }], /name "Bad_Name" is invalid/],
      ['a long name', [{ filename: 's/SKILL.md', data: md('a'.repeat(65), 'd') }], /is invalid/],
      ['a long description', [{ filename: 's/SKILL.md', data: md('x', 'd'.repeat(1025)) }], /at most 1024/],
      ['YAML that is not a mapping', [{ filename: 's/SKILL.md', data: '---\n- a\n---\n' }], /mapping/],
      [
        'a YAML alias bomb',
        [
          {
            filename: 's/SKILL.md',
            data: `---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nname: x\ndescription: d\n---\n`,
          },
        ],
        /front matter/,
      ],
      [
        'two top folders',
        [
          { filename: 'a/SKILL.md', data: good },
          { filename: 'b/x.py', data: '' },
        ],
        /one top folder/,
      ],
      ['no top folder', [{ filename: 'SKILL.md', data: good }], /one top folder/],
      [
        'zip-slip',
        [
          { filename: 's/SKILL.md', data: good },
          { filename: 's/../../x', data: '' },
        ],
        /leaves its folder/,
      ],
      ['an absolute path', [{ filename: '/etc/cron.d/x', data: good }], /absolute/],
      ['a backslash', [{ filename: 's\\SKILL.md', data: good }], /backslash/],
      ['a control character', [{ filename: 's/a\tb', data: good }], /control character/],
      [
        'a duplicate path',
        [
          { filename: 's/SKILL.md', data: good },
          { filename: 's/SKILL.md', data: good },
        ],
        /twice/,
      ],
      [
        'a file that is also a folder',
        [
          { filename: 's/SKILL.md', data: good },
          { filename: 's/a', data: '' },
          { filename: 's/a/b', data: '' },
        ],
        /collides/,
      ],
      ['a file without a name', [{ data: good }], /filename/],
      [
        'a zip that is not one',
        [{ filename: 'skill.zip', data: 'not a zip', field: 'files' }],
        /not a valid zip/,
      ],
      [
        'a zip with a symlink',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/link', data: '/etc/shadow', mode: 0o120777 },
          ]),
        ],
        /symbolic link/,
      ],
      [
        'a zip with a FIFO',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/fifo', data: '', mode: 0o10644 },
          ]),
        ],
        /special file/,
      ],
      [
        'a zip-slip zip',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/../../evil', data: 'x' },
          ]),
        ],
        /refused/,
      ],
      [
        'an absolute zip path',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: '/tmp/evil', data: 'x' },
          ]),
        ],
        /refused/,
      ],
      [
        'a backslash in a zip',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's\\..\\evil', data: 'x' },
          ]),
        ],
        /refused/,
      ],
      [
        'a NUL in a zip path',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/a\u0000b', data: 'x' },
          ]),
        ],
        /control character/,
      ],
      [
        'a duplicate zip entry',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/SKILL.md', data: good },
          ]),
        ],
        /twice/,
      ],
      [
        'a zip with two top folders',
        [
          zip([
            { name: 'a/SKILL.md', data: good },
            { name: 'b/SKILL.md', data: good },
          ]),
        ],
        /one top folder/,
      ],
      [
        'a zip with too many files',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            ...Array.from({ length: 500 }, (_, index) => ({ name: `s/f${index}`, data: '' })),
          ]),
        ],
        /at most 500 files/,
      ],
      [
        'a zip whose CRC does not match its data',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/data.bin', data: 'payload', declaredCrc: 0x12345678 },
          ]),
        ],
        /"s\/data\.bin" is corrupt/,
      ],
      [
        'a stored (not deflated) zip entry whose CRC does not match',
        [zip([{ name: 's/SKILL.md', data: good, declaredCrc: 1, deflate: false }])],
        /"s\/SKILL\.md" is corrupt/,
      ],
      [
        'a zip with a file over 25 MB',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/big', data: Buffer.alloc(25 * mebibyte + 1) },
          ]),
        ],
        /larger than 26214400 bytes/,
      ],
      [
        'a zip bomb whose header lies',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            { name: 's/bomb', data: Buffer.alloc(40 * mebibyte), declaredSize: 10 },
          ]),
        ],
        /refused|larger/,
      ],
      [
        'a zip that inflates past the total',
        [
          zip([
            { name: 's/SKILL.md', data: good },
            ...Array.from({ length: 6 }, (_, index) => ({
              name: `s/part${index}`,
              data: Buffer.alloc(24 * mebibyte),
            })),
          ]),
        ],
        /larger than 134217728 bytes/,
      ],
      [
        'too many files in a folder upload',
        Array.from({ length: 501 }, (_, index) => ({ filename: `s/f${index}`, data: '' })),
        /at most 500 files/,
      ],
    ];
    for (const [what, parts, message] of cases) {
      const answer = await post('/skills', multipart(parts));
      expect(answer.status, `${what}: ${JSON.stringify(answer.json)}`).toBe(400);
      const error = answer.json.error as { message: string; param: string; type: string };
      expect(error.param, what).toBe('files');
      expect(error.type, what).toBe('invalid_request_error');
      expect(error.message, what).toMatch(message);
    }
    const oversized = await post(
      '/skills',
      multipart([{ filename: 's.zip', field: 'files', data: randomBytes(50 * mebibyte + 1) }]),
    );
    expect(oversized.status).toBe(413);

    const skill = (await client().skills.list()).data;
    expect(skill).toEqual([]);
    expect(onDisk()).toEqual(before);
  });

  it('refuses bad requests around skills with the error envelope', async () => {
    const skill = await client().skills.create({
      files: await toFile(skillZip('probe', 'Probe.'), 'probe.zip'),
    });
    const form = multipart([
      { filename: 'p/SKILL.md', data: skillMarkdown('probe', 'x') },
      { field: 'default', data: 'maybe' },
    ]);
    const badDefault = await post(`/skills/${skill.id}/versions`, form);
    expect(badDefault).toMatchObject({ status: 400, json: { error: { param: 'default' } } });
    const unknownField = await post(
      '/skills',
      multipart([
        { filename: 'p/SKILL.md', data: skillMarkdown('p', 'x') },
        { field: 'extra', data: '1' },
      ]),
    );
    expect(unknownField).toMatchObject({ status: 400, json: { error: { param: 'extra' } } });
    const wrongField = await post(
      '/skills',
      multipart([{ field: 'file', filename: 'p/SKILL.md', data: 'x' }]),
    );
    expect(wrongField).toMatchObject({ status: 400, json: { error: { param: 'file' } } });
    const toUnknown = await post(
      '/skills/skill_unknown/versions',
      multipart([{ filename: 'p/SKILL.md', data: skillMarkdown('p', 'x') }]),
    );
    expect(toUnknown.status).toBe(404);
    const json = await fetch(`${berth.baseURL}/skills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.alpha}` },
      body: '{}',
    });
    expect(json.status).toBe(415);
    await expect(client().skills.update(skill.id, { default_version: 'latest' })).rejects.toMatchObject({
      status: 400,
      param: 'default_version',
    });
    await expect(client().skills.versions.retrieve('0', { skill_id: skill.id })).rejects.toMatchObject({
      status: 404,
    });
    await expect(client().skills.versions.retrieve('two', { skill_id: skill.id })).rejects.toMatchObject({
      status: 404,
    });
    await expect(client().skills.list({ limit: 0 })).rejects.toMatchObject({ status: 400, param: 'limit' });
    expect((await client().skills.versions.list(skill.id)).data).toHaveLength(1);
    await client().skills.delete(skill.id);
  });
});
