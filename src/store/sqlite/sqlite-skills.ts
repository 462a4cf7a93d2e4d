import type { Database } from 'better-sqlite3';
import { cursorPage } from './item-pages.js';
import type { SkillVersionsTable, SkillsTable } from './schema.js';
import type { Page, PageRequest } from '../page.js';
import type {
  NewSkill,
  NewSkillVersion,
  SkillStore,
  StoredSkill,
  StoredSkillVersion,
} from '../skill-store.js';
import { settle } from './settle.js';

/** A skills row with its latest version, computed: the highest version number still present. */
type SkillRow = SkillsTable & { latest_version: number | null };

const selectSkill = `SELECT skills.*,
  (SELECT max(version) FROM skill_versions WHERE skill_id = skills.id) AS latest_version
  FROM skills`;

/**
 * Skills and their versions, with statements prepared once. The bundles themselves are directories on
 * disk (see `skills/skill-service.ts`); these tables say who owns them, their numbers and front matter.
 */
export class SqliteSkills {
  readonly #db: Database;
  readonly #insert;
  readonly #select;
  readonly #cursor;
  readonly #pages;
  readonly #delete;
  readonly #bump;
  readonly #setDefault;
  readonly #insertVersion;
  readonly #selectVersion;
  readonly #versionCursor;
  readonly #versionPages;
  readonly #allVersions;
  readonly #deleteVersions;
  readonly #deleteVersion;
  readonly #versionIds;

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare<Omit<SkillsTable, 'seq'>>(
      `INSERT INTO skills (id, project_id, name, description, created_at, default_version, last_version)
       VALUES (@id, @project_id, @name, @description, @created_at, @default_version, @last_version)`,
    );
    this.#select = db.prepare<[string, string], SkillRow>(`${selectSkill} WHERE id = ? AND project_id = ?`);
    this.#cursor = db
      .prepare<[string, string], number>('SELECT seq FROM skills WHERE id = ? AND project_id = ?')
      .pluck();
    const page = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<[string, number, number], SkillRow>(
        `${selectSkill} WHERE project_id = ? AND seq ${comparison} ? ORDER BY seq ${order} LIMIT ?`,
      );
    this.#pages = { asc: page('>', 'ASC'), desc: page('<', 'DESC') };
    this.#delete = db.prepare<[string, string]>('DELETE FROM skills WHERE id = ? AND project_id = ?');
    this.#bump = db
      .prepare<[string, string], number>(
        'UPDATE skills SET last_version = last_version + 1 WHERE id = ? AND project_id = ? RETURNING last_version',
      )
      .pluck();
    this.#setDefault = db.prepare<{ id: string; version: number; name: string; description: string }>(
      'UPDATE skills SET default_version = @version, name = @name, description = @description WHERE id = @id',
    );
    this.#insertVersion = db.prepare<SkillVersionsTable>(
      `INSERT INTO skill_versions (id, skill_id, version, name, description, created_at)
       VALUES (@id, @skill_id, @version, @name, @description, @created_at)`,
    );
    this.#selectVersion = db.prepare<[string, number], SkillVersionsTable>(
      'SELECT * FROM skill_versions WHERE skill_id = ? AND version = ?',
    );
    this.#versionCursor = db
      .prepare<[string, string], number>('SELECT version FROM skill_versions WHERE skill_id = ? AND id = ?')
      .pluck();
    const versionPage = (comparison: '>' | '<', order: 'ASC' | 'DESC') =>
      db.prepare<[string, number, number], SkillVersionsTable>(
        `SELECT * FROM skill_versions WHERE skill_id = ? AND version ${comparison} ?
         ORDER BY version ${order} LIMIT ?`,
      );
    this.#versionPages = { asc: versionPage('>', 'ASC'), desc: versionPage('<', 'DESC') };
    this.#allVersions = db.prepare<[string], SkillVersionsTable>(
      'SELECT * FROM skill_versions WHERE skill_id = ? ORDER BY version',
    );
    this.#deleteVersions = db.prepare<[string]>('DELETE FROM skill_versions WHERE skill_id = ?');
    this.#deleteVersion = db.prepare<[string, number]>(
      'DELETE FROM skill_versions WHERE skill_id = ? AND version = ?',
    );
    this.#versionIds = db.prepare<[], string>('SELECT id FROM skill_versions').pluck();
  }

  create(skill: NewSkill, version: NewSkillVersion): StoredSkill {
    this.#db.transaction(() => {
      this.#insert.run({
        id: skill.id,
        project_id: skill.projectId,
        name: version.name,
        description: version.description,
        created_at: skill.createdAt,
        default_version: 1,
        last_version: 1,
      });
      this.#insertVersion.run(versionRow(skill.id, 1, version));
    })();
    const created = this.get(skill.projectId, skill.id);
    if (!created) throw new Error(`skill ${skill.id} vanished as it was created`);
    return created;
  }

  get(projectId: string, id: string): StoredSkill | undefined {
    const row = this.#select.get(id, projectId);
    return row ? fromRow(row) : undefined;
  }

  list(projectId: string, page: PageRequest): Page<StoredSkill> {
    return cursorPage(
      page,
      (after) => this.#cursor.get(after, projectId),
      (from, limit) => this.#pages[page.order].all(projectId, from, limit),
      fromRow,
    );
  }

  delete(projectId: string, id: string): readonly StoredSkillVersion[] | undefined {
    return this.#db.transaction(() => {
      if (!this.#select.get(id, projectId)) return undefined;
      const versions = this.#allVersions.all(id).map(versionFromRow);
      this.#deleteVersions.run(id);
      this.#delete.run(id, projectId);
      return versions;
    })();
  }

  addVersion(
    projectId: string,
    skillId: string,
    version: NewSkillVersion,
    makeDefault: boolean,
  ): StoredSkillVersion | undefined {
    return this.#db.transaction(() => {
      const number = this.#bump.get(skillId, projectId);
      if (number === undefined) return undefined;
      const row = versionRow(skillId, number, version);
      this.#insertVersion.run(row);
      if (makeDefault) this.#setDefault.run({ ...pointer(row), id: skillId });
      return versionFromRow(row);
    })();
  }

  getVersion(projectId: string, skillId: string, version: number): StoredSkillVersion | undefined {
    if (!this.#select.get(skillId, projectId)) return undefined;
    const row = this.#selectVersion.get(skillId, version);
    return row ? versionFromRow(row) : undefined;
  }

  listVersions(projectId: string, skillId: string, page: PageRequest): Page<StoredSkillVersion> | undefined {
    if (!this.#select.get(skillId, projectId)) return undefined;
    return cursorPage(
      page,
      (after) => this.#versionCursor.get(skillId, after),
      (from, limit) => this.#versionPages[page.order].all(skillId, from, limit),
      versionFromRow,
    );
  }

  setDefault(projectId: string, skillId: string, version: number): StoredSkill | undefined {
    return this.#db.transaction(() => {
      const target = this.getVersion(projectId, skillId, version);
      if (!target) return undefined;
      this.#setDefault.run({ ...pointer(target), id: skillId });
      return this.get(projectId, skillId);
    })();
  }

  deleteVersion(projectId: string, skillId: string, version: number): boolean {
    if (!this.#select.get(skillId, projectId)) return false;
    return this.#deleteVersion.run(skillId, version).changes > 0;
  }

  versionIds(): ReadonlySet<string> {
    return new Set(this.#versionIds.all());
  }
}

/** What the skill row takes from the version that becomes its default. */
function pointer(version: { version: number; name: string; description: string }) {
  return { version: version.version, name: version.name, description: version.description };
}

function versionRow(skillId: string, version: number, from: NewSkillVersion): SkillVersionsTable {
  return {
    id: from.id,
    skill_id: skillId,
    version,
    name: from.name,
    description: from.description,
    created_at: from.createdAt,
  };
}

function fromRow(row: SkillRow): StoredSkill {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    defaultVersion: row.default_version,
    latestVersion: row.latest_version ?? row.default_version,
  };
}

function versionFromRow(row: SkillVersionsTable): StoredSkillVersion {
  return {
    id: row.id,
    skillId: row.skill_id,
    version: row.version,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
  };
}

/** The `SkillStore` over SQLite. */
export function sqliteSkillStore(skills: SqliteSkills): SkillStore {
  return {
    createSkill: (skill, version) => settle(() => skills.create(skill, version)),
    getSkill: (projectId, id) => settle(() => skills.get(projectId, id)),
    listSkills: (projectId, page) => settle(() => skills.list(projectId, page)),
    deleteSkill: (projectId, id) => settle(() => skills.delete(projectId, id)),
    addSkillVersion: (projectId, skillId, version, makeDefault) =>
      settle(() => skills.addVersion(projectId, skillId, version, makeDefault)),
    getSkillVersion: (projectId, skillId, version) =>
      settle(() => skills.getVersion(projectId, skillId, version)),
    listSkillVersions: (projectId, skillId, page) =>
      settle(() => skills.listVersions(projectId, skillId, page)),
    setSkillDefaultVersion: (projectId, skillId, version) =>
      settle(() => skills.setDefault(projectId, skillId, version)),
    deleteSkillVersion: (projectId, skillId, version) =>
      settle(() => skills.deleteVersion(projectId, skillId, version)),
    listSkillVersionIds: () => settle(() => skills.versionIds()),
  };
}
