import { describe, expect, it } from 'vitest';
import type { NewSkillVersion, SkillStore, StoredSkillVersion } from '../../../src/store/store.js';
import { freshStores, type OpenStores } from './open-stores.js';

/** The behaviour every `SkillStore` must have. */
export function describeSkillStoreContract(
  backend: string,
  open: OpenStores<{ readonly skills: SkillStore }>,
): void {
  describe(`SkillStore contract: ${backend}`, () => {
    const stores = freshStores(open);
    const version = (id: string, name = 'math'): NewSkillVersion => ({
      id,
      name,
      description: `${name} v`,
      createdAt: 1,
    });
    const stored = (id: string, number: number, name = 'math'): StoredSkillVersion => ({
      ...version(id, name),
      skillId: 'skill_1',
      version: number,
    });

    it('numbers skill versions without reuse, follows the default, and scopes skills by project', async () => {
      const { skills } = stores();
      const skill = await skills.createSkill(
        { id: 'skill_1', projectId: 'proj_a', createdAt: 1 },
        version('skillver_1'),
      );
      const created = {
        id: 'skill_1',
        projectId: 'proj_a',
        name: 'math',
        description: 'math v',
        createdAt: 1,
        defaultVersion: 1,
        latestVersion: 1,
      };
      expect(skill).toEqual(created);
      expect(await skills.getSkill('proj_a', 'skill_1')).toEqual(created);
      expect(await skills.getSkill('proj_b', 'skill_1')).toBeUndefined();
      expect(await skills.addSkillVersion('proj_b', 'skill_1', version('skillver_x'), false)).toBeUndefined();

      const second = await skills.addSkillVersion('proj_a', 'skill_1', version('skillver_2', 'math2'), false);
      expect(second).toEqual(stored('skillver_2', 2, 'math2'));
      expect(await skills.getSkill('proj_a', 'skill_1')).toEqual({ ...created, latestVersion: 2 });
      expect(await skills.getSkillVersion('proj_a', 'skill_1', 2)).toEqual(stored('skillver_2', 2, 'math2'));
      expect(await skills.getSkillVersion('proj_a', 'skill_1', 7)).toBeUndefined();
      expect(await skills.getSkillVersion('proj_b', 'skill_1', 2)).toBeUndefined();
      await skills.addSkillVersion('proj_a', 'skill_1', version('skillver_3', 'math3'), true);
      expect(await skills.getSkill('proj_a', 'skill_1')).toEqual({
        ...created,
        name: 'math3',
        description: 'math3 v',
        defaultVersion: 3,
        latestVersion: 3,
      });
      expect(await skills.setSkillDefaultVersion('proj_a', 'skill_1', 9)).toBeUndefined();
      expect(await skills.setSkillDefaultVersion('proj_b', 'skill_1', 2)).toBeUndefined();
      expect(await skills.setSkillDefaultVersion('proj_a', 'skill_1', 2)).toEqual({
        ...created,
        name: 'math2',
        description: 'math2 v',
        defaultVersion: 2,
        latestVersion: 3,
      });
      expect(await skills.deleteSkillVersion('proj_b', 'skill_1', 3)).toBe(false);
      expect(await skills.deleteSkillVersion('proj_a', 'skill_1', 3)).toBe(true);
      expect(await skills.deleteSkillVersion('proj_a', 'skill_1', 3)).toBe(false);
      expect((await skills.getSkill('proj_a', 'skill_1'))?.latestVersion).toBe(2);
      // A deleted number is never given out again.
      expect((await skills.addSkillVersion('proj_a', 'skill_1', version('skillver_4'), false))?.version).toBe(
        4,
      );

      const page = await skills.listSkillVersions('proj_a', 'skill_1', { limit: 2, order: 'asc' });
      expect(page).toEqual({
        data: [stored('skillver_1', 1), stored('skillver_2', 2, 'math2')],
        hasMore: true,
      });
      const next = await skills.listSkillVersions('proj_a', 'skill_1', {
        limit: 2,
        order: 'asc',
        after: 'skillver_2',
      });
      expect(next?.data.map((entry) => entry.version)).toEqual([4]);
      expect(next?.hasMore).toBe(false);
      expect(await skills.listSkillVersions('proj_b', 'skill_1', { limit: 2, order: 'asc' })).toBeUndefined();

      await skills.createSkill({ id: 'skill_2', projectId: 'proj_a', createdAt: 2 }, version('skillver_5'));
      const listed = await skills.listSkills('proj_a', { limit: 10, order: 'desc' });
      expect(listed.data.map((entry) => entry.id)).toEqual(['skill_2', 'skill_1']);
      expect(listed.data[1]).toEqual({
        ...created,
        name: 'math2',
        description: 'math2 v',
        defaultVersion: 2,
        latestVersion: 4,
      });
      expect((await skills.listSkills('proj_b', { limit: 10, order: 'desc' })).data).toEqual([]);

      expect(await skills.deleteSkill('proj_b', 'skill_1')).toBeUndefined();
      const deleted = await skills.deleteSkill('proj_a', 'skill_1');
      expect(deleted?.map((entry) => entry.id)).toEqual(['skillver_1', 'skillver_2', 'skillver_4']);
      expect(await skills.getSkill('proj_a', 'skill_1')).toBeUndefined();
      expect(await skills.getSkillVersion('proj_a', 'skill_1', 1)).toBeUndefined();
      expect([...(await skills.listSkillVersionIds())]).toEqual(['skillver_5']);
    });
  });
}
