import { toFile } from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawZip, skillMarkdown, skillZip } from '../../test/support/skill-zips.js';
import { describeEachDriver } from '../../test/support/sandbox-drivers-here.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

interface ExecOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly outcome: { type: 'exit'; exit_code: number } | { type: 'timeout' };
}

async function exec(berth: TestBerth, containerId: string, commands: string[]): Promise<ExecOutput[]> {
  const response = await fetch(`${berth.baseURL}/containers/${containerId}/exec`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ commands }),
  });
  const body = (await response.json()) as { output: ExecOutput[] };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.output;
}

function inline(name: string, zip: Buffer) {
  return {
    type: 'inline' as const,
    name,
    description: `The ${name} inline skill.`,
    source: { type: 'base64' as const, media_type: 'application/zip' as const, data: zip.toString('base64') },
  };
}

describeEachDriver('Skills in containers on %s', (driver) => {
  let berth: TestBerth;
  let restarted: TestBerth | undefined;

  beforeAll(async () => {
    berth = await startTestBerth({ sandbox: { driver, warmPool: 1 } });
  });
  afterAll(async () => {
    await restarted?.close();
    await berth?.close();
  });

  it('mounts referenced and inline skills read-only at /skills/<name>, also after a restart', async () => {
    const client = berth.client();
    const skill = await client.skills.create({
      files: await toFile(skillZip('greeter', 'Greets people.', 'hello v1'), 'greeter.zip'),
    });
    await client.skills.versions.create(skill.id, {
      files: await toFile(skillZip('greeter', 'Greets people, louder.', 'HELLO v2'), 'greeter.zip'),
    });
    const container = await client.containers.create({
      name: 'with-skills',
      skills: [
        { type: 'skill_reference', skill_id: skill.id, version: 'latest' },
        inline('inline-tool', skillZip('tool', 'Ignored, as the request names it.', 'inline hello')),
      ],
    });

    const [listing, markdown, script, inlineScript] = await exec(berth, container.id, [
      // Not `ls`: the runsc driver's gVisor answers coreutils' statx on any bind mount with EINVAL.
      "cd /skills && printf '%s\\n' *",
      'cat /skills/greeter/SKILL.md',
      '/skills/greeter/scripts/hello.sh',
      'sh /skills/inline-tool/scripts/hello.sh',
    ]);
    expect(listing?.stdout).toBe('greeter\ninline-tool\n');
    expect(markdown?.stdout).toBe(skillMarkdown('greeter', 'Greets people, louder.'));
    expect(script).toMatchObject({ stdout: 'HELLO v2\n', outcome: { type: 'exit', exit_code: 0 } });
    expect(inlineScript?.stdout).toBe('inline hello\n');
    expect(await berth.runtime.containers.skillsOf('default', container.id)).toEqual([
      { name: 'greeter', description: 'Greets people, louder.', path: '/skills/greeter' },
      { name: 'inline-tool', description: 'The inline-tool inline skill.', path: '/skills/inline-tool' },
    ]);

    await expectUnchangeable(berth, container.id, driver);

    // A pooled container (no skills) has nothing mounted there and nothing in it.
    const plain = await client.containers.create({ name: 'plain' });
    const [mounted, listed] = await exec(berth, plain.id, [
      "grep ' /skills ' /proc/self/mountinfo",
      'ls -A /skills 2>/dev/null',
    ]);
    expect(mounted?.outcome).toEqual({ type: 'exit', exit_code: 1 });
    expect(listed?.stdout).toBe('');
    expect(await berth.runtime.containers.skillsOf('default', plain.id)).toEqual([]);

    // The container keeps its copy when the skill is deleted, and across a restart.
    await client.skills.delete(skill.id);
    await berth.stopServer();
    restarted = await berth.restart();
    const [again] = await exec(restarted, container.id, [
      '/skills/greeter/scripts/hello.sh; cat /skills/inline-tool/SKILL.md',
    ]);
    expect(again?.stdout).toContain('HELLO v2\n---\nname: tool');
    await expectUnchangeable(restarted, container.id, driver);
    expect(await restarted.runtime.containers.skillsOf('default', container.id)).toHaveLength(2);
    await restarted.client().containers.delete(container.id);
    await restarted.client().containers.delete(plain.id);
  });

  it('refuses unknown skills and bad inline bundles before starting anything', async () => {
    const server = restarted ?? berth;
    const client = server.client();
    const skill = await client.skills.create({
      files: await toFile(skillZip('known', 'Known.'), 'known.zip'),
    });
    const good = inline('fine', skillZip('fine', 'Fine.'));
    const create = (skills: unknown[]) =>
      client.containers.create({ name: 'refused', skills } as Parameters<typeof client.containers.create>[0]);
    await expect(create([{ type: 'skill_reference', skill_id: 'skill_nope' }])).rejects.toMatchObject({
      status: 404,
      param: 'skills[0].skill_id',
    });
    await expect(
      create([good, { type: 'skill_reference', skill_id: skill.id, version: '7' }]),
    ).rejects.toMatchObject({
      status: 404,
      param: 'skills[1].version',
    });
    await expect(
      create([{ type: 'skill_reference', skill_id: skill.id, version: 'newest' }]),
    ).rejects.toMatchObject({
      status: 400,
      param: 'skills[0].version',
    });
    const symlinked = rawZip([
      { name: 's/SKILL.md', data: skillMarkdown('s', 'S.') },
      { name: 's/link', data: '/etc/shadow', mode: 0o120777 },
    ]);
    await expect(create([good, inline('evil', symlinked)])).rejects.toMatchObject({
      status: 400,
      param: 'skills[1].source.data',
      message: expect.stringMatching(/symbolic link/) as unknown,
    });
    await expect(create([inline('Not A Name', skillZip('x', 'X.'))])).rejects.toMatchObject({
      status: 400,
      param: 'skills[0].name',
    });
    await expect(
      create([{ ...good, source: { ...good.source, data: 'not base64!' } }]),
    ).rejects.toMatchObject({ status: 400, param: 'skills[0].source.data' });
    await expect(
      create([inline('known', skillZip('k', 'K.')), { type: 'skill_reference', skill_id: skill.id }]),
    ).rejects.toMatchObject({
      status: 400,
      param: 'skills[1]',
    });
    expect((await client.containers.list({ name: 'refused' })).data).toEqual([]);
    await client.skills.delete(skill.id);
  });
});

/** Nothing under /skills can be written, removed, renamed, re-moded or remounted from inside. */
async function expectUnchangeable(berth: TestBerth, containerId: string, driver: string): Promise<void> {
  const attempts = [
    'touch /skills/greeter/new',
    'echo x >> /skills/greeter/SKILL.md',
    'rm -f /skills/greeter/SKILL.md',
    'rm -rf /skills/greeter/scripts',
    'mv /skills/greeter /skills/moved',
    'mkdir /skills/extra',
    'chmod 777 /skills/greeter/SKILL.md',
    'mount -o remount,rw /skills',
  ];
  const results = await exec(berth, containerId, attempts);
  for (const [index, result] of results.entries()) {
    expect(result.outcome, attempts[index]).not.toEqual({ type: 'exit', exit_code: 0 });
  }
  // gVisor checks permissions first (the files are not the sandbox's): EACCES or EPERM there.
  for (const result of results.slice(0, 7))
    expect(result.stderr).toMatch(/Read-only file system|Permission denied|Operation not permitted/);
  const [after, mount] = await exec(berth, containerId, [
    "cd /skills && printf '%s\\n' * */* */*/*; head -3 greeter/SKILL.md",
    "grep ' /skills ' /proc/self/mountinfo | cut -d' ' -f6",
  ]);
  expect(after?.stdout).toBe(
    [
      'greeter',
      'inline-tool',
      'greeter/SKILL.md',
      'greeter/scripts',
      'inline-tool/SKILL.md',
      'inline-tool/scripts',
      'greeter/scripts/hello.sh',
      'inline-tool/scripts/hello.sh',
      '---',
      'name: greeter',
      'description: Greets people, louder.',
      '',
    ].join('\n'),
  );
  // gVisor's mount table shows `ro` only: it ignores nosuid and nodev (see oci-config.ts).
  const options = driver === 'runsc' ? ['ro'] : ['ro', 'nosuid', 'nodev'];
  expect(mount?.stdout.trim().split(',')).toEqual(expect.arrayContaining(options));
}
