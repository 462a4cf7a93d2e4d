import type { StoredSkill, StoredSkillVersion } from '../store/store.js';

/** The Skill object as the Skills API serves it (version numbers as strings, as OpenAI's are). */
export function toSkillObject(skill: StoredSkill): Record<string, unknown> {
  return {
    id: skill.id,
    object: 'skill',
    name: skill.name,
    description: skill.description,
    created_at: skill.createdAt,
    default_version: String(skill.defaultVersion),
    latest_version: String(skill.latestVersion),
  };
}

/** The SkillVersion object. */
export function toSkillVersionObject(version: StoredSkillVersion): Record<string, unknown> {
  return {
    id: version.id,
    object: 'skill.version',
    skill_id: version.skillId,
    version: String(version.version),
    name: version.name,
    description: version.description,
    created_at: version.createdAt,
  };
}
