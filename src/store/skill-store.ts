import type { Page, PageRequest } from './page.js';

/**
 * Skills and their immutable, numbered versions (each version's files are on disk, named by its id).
 * Every read and write but the sweep's is scoped by `projectId`.
 */
export interface SkillStore {
  /** Records a new skill with its first version (number 1, the default). */
  createSkill(skill: NewSkill, version: NewSkillVersion): Promise<StoredSkill>;
  /** The skill, or undefined (unknown id, or another project's). */
  getSkill(projectId: string, id: string): Promise<StoredSkill | undefined>;
  /** One page of a project's skills in creation order. */
  listSkills(projectId: string, page: PageRequest): Promise<Page<StoredSkill>>;
  /** Deletes a skill with every version; the deleted versions, or undefined when there was no skill. */
  deleteSkill(projectId: string, id: string): Promise<readonly StoredSkillVersion[] | undefined>;
  /**
   * Adds a version numbered one past the highest ever given (numbers are never reused), the default
   * when `makeDefault`. Undefined when the skill is unknown.
   */
  addSkillVersion(
    projectId: string,
    skillId: string,
    version: NewSkillVersion,
    makeDefault: boolean,
  ): Promise<StoredSkillVersion | undefined>;
  /** One version by number, or undefined (unknown skill or version). */
  getSkillVersion(
    projectId: string,
    skillId: string,
    version: number,
  ): Promise<StoredSkillVersion | undefined>;
  /** One page of a skill's versions by version number; undefined when the skill is unknown. */
  listSkillVersions(
    projectId: string,
    skillId: string,
    page: PageRequest,
  ): Promise<Page<StoredSkillVersion> | undefined>;
  /**
   * Makes `version` the default (the skill's name and description follow it); undefined when the
   * skill or the version is unknown.
   */
  setSkillDefaultVersion(
    projectId: string,
    skillId: string,
    version: number,
  ): Promise<StoredSkill | undefined>;
  /** Deletes one version (never the default: callers check); false when there was nothing to delete. */
  deleteSkillVersion(projectId: string, skillId: string, version: number): Promise<boolean>;
  /** Every version id recorded, in any project (the start-up sweep of orphaned bundle directories). */
  listSkillVersionIds(): Promise<ReadonlySet<string>>;
}

/** A skill as the Skills API serves it (`default_version` and `latest_version` as numbers here). */
export interface StoredSkill {
  /** `skill_…`. */
  readonly id: string;
  readonly projectId: string;
  /** The default version's front matter `name`. */
  readonly name: string;
  /** The default version's front matter `description`. */
  readonly description: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** The number of the version used when none is named. */
  readonly defaultVersion: number;
  /** The highest version number that still exists. */
  readonly latestVersion: number;
}

/** What `createSkill` needs of the skill itself (its name follows its versions). */
export interface NewSkill {
  /** `skill_…`. */
  readonly id: string;
  readonly projectId: string;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** One immutable version of a skill; its files are on disk, named by `id`. */
export interface StoredSkillVersion {
  /** `skillver_…`. */
  readonly id: string;
  readonly skillId: string;
  /** 1, 2, …; never reused within a skill. */
  readonly version: number;
  /** The front matter's `name`. */
  readonly name: string;
  /** The front matter's `description`. */
  readonly description: string;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** A version before the store numbers it. */
export type NewSkillVersion = Omit<StoredSkillVersion, 'version' | 'skillId'>;
