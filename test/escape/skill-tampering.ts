import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { skillZip } from '../support/skill-zips.js';
import { marker, type EscapeBerth } from './escape-berth.js';

/** Every file under `dir` on the host with its mode, owner and content hash. */
function snapshot(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const path = join(dir, prefix, name);
    const info = statSync(path);
    const hash = info.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'dir';
    found.push(`${join(prefix, name)} ${info.mode.toString(8)} ${info.uid}:${info.gid} ${hash}`);
    if (info.isDirectory()) found.push(...snapshot(dir, join(prefix, name)));
  }
  return found;
}

/**
 * A container's mounted skills: everything a command can try to change, delete, replace or remount
 * them fails, and the host's copy (and the skill itself, for every other container) stays byte for byte.
 */
export function describeSkillTampering(escape: EscapeBerth): void {
  describe('mounted skills', () => {
    it('cannot be changed, removed, replaced or remounted from inside', async () => {
      const client = escape.client('alpha');
      const name = marker('tamper').replace(/[^a-z0-9-]/g, '');
      const skill = await client.skills.create({
        files: await toFile(skillZip(name, 'A target.'), 'skill.zip'),
      });
      const containerId = (
        await client.containers.create({
          name: 'skill-tampering',
          skills: [{ type: 'skill_reference', skill_id: skill.id }],
        })
      ).id;
      const hostCopy = join(escape.dataDir, 'sandbox', 'containers', containerId, 'skills');
      const before = snapshot(hostCopy);
      expect(before.some((line) => line.startsWith(`${name}/scripts/hello.sh 100755 0:0 `))).toBe(true);

      const dir = `/skills/${name}`;
      const attempts = [
        `echo pwned > ${dir}/SKILL.md`,
        `echo pwned >> ${dir}/scripts/hello.sh`,
        `truncate -s 0 ${dir}/SKILL.md`,
        `rm -f ${dir}/SKILL.md`,
        `rm -rf ${dir}`,
        `mv ${dir}/scripts/hello.sh ${dir}/x`,
        `ln -s /etc/shadow ${dir}/link`,
        `ln ${dir}/SKILL.md /mnt/data/hardlink && echo pwned > /mnt/data/hardlink && cat ${dir}/SKILL.md | grep -q pwned`,
        `chmod 4777 ${dir}/scripts/hello.sh`,
        `chown 0:0 ${dir}/SKILL.md`,
        `touch -d 2000-01-01 ${dir}/SKILL.md`,
        'mount -o remount,rw /skills',
        'umount -l /skills',
        'mount -t tmpfs tmpfs /skills',
        `unshare -rm sh -c 'mount -o remount,rw /skills && echo pwned > ${dir}/SKILL.md'`,
        `python3 -c "import os; os.rename('${dir}', '/skills/other')"`,
      ];
      const results = await escape.exec('alpha', containerId, attempts);
      for (const [index, result] of results.entries()) {
        expect(result.outcome, `${attempts[index]}: ${result.stdout}${result.stderr}`).not.toEqual({
          type: 'exit',
          exit_code: 0,
        });
      }
      const [content, script] = await escape.exec('alpha', containerId, [
        `head -2 ${dir}/SKILL.md`,
        `${dir}/scripts/hello.sh`,
      ]);
      expect(content?.stdout).toBe(`---\nname: ${name}\n`);
      expect(script?.stdout).toBe(`hello from ${name}\n`);
      expect(snapshot(hostCopy)).toEqual(before);

      // The skill itself is untouched: a new container gets the original.
      const fresh = (
        await client.containers.create({
          name: 'skill-fresh',
          skills: [{ type: 'skill_reference', skill_id: skill.id }],
        })
      ).id;
      expect((await escape.run('alpha', fresh, `${dir}/scripts/hello.sh`)).stdout).toBe(
        `hello from ${name}\n`,
      );
      // Another project cannot attach it.
      await expect(
        escape
          .client('beta')
          .containers.create({ name: 'steal', skills: [{ type: 'skill_reference', skill_id: skill.id }] }),
      ).rejects.toMatchObject({ status: 404, param: 'skills[0].skill_id' });
      await client.containers.delete(containerId);
      await client.containers.delete(fresh);
      await client.skills.delete(skill.id);
    }, 120_000);
  });
}
