import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { unixSeconds, type Clock } from '../clock.js';
import { BerthError, notFound } from '../errors/berth-error.js';
import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type {
  AttachedSkill,
  Page,
  PageRequest,
  SkillStore,
  StoredSkill,
  StoredSkillVersion,
} from '../store/store.js';
import { writeBundleZip } from './bundle-zip-writer.js';
import type { ContainerSkill } from './container-skills-schema.js';
import { looksLikeZip, stageFilesBundle, stageZipBundle, type SkillBundle } from './skill-bundle.js';
import { SkillBundleError } from './skill-bundle-error.js';
import { defaultSkillLimits, type SkillLimits } from './skill-limits.js';
import { checkSkillDescription, checkSkillName, SkillManifestError } from './skill-manifest.js';

export interface SkillServiceOptions {
  readonly store: SkillStore;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `<dataDir>/skills`: one folder per skill, one per version inside it. */
  readonly directory: string;
  readonly limits?: SkillLimits;
}

/** The files of one upload, as `receiveFileParts` leaves them. */
export interface UploadedSkillFiles {
  readonly files: readonly {
    readonly filename: string;
    readonly contentType: string;
    readonly path: string;
    readonly bytes: number;
  }[];
}

/** Skills resolved for a new container: what to record, and the folders to copy under `/skills`. */
export interface ResolvedSkills {
  readonly attached: readonly AttachedSkill[];
  /** The folder holding each attached skill's files, in the same order as `attached`. */
  readonly roots: readonly string[];
  /** Removes the inline skills' unpacked files; call once they were copied. */
  release(): Promise<void>;
}

/**
 * Skills: bundles checked and unpacked on upload, kept as immutable numbered versions. Metadata is in
 * the Store; each version's files are `<directory>/<skill id>/<version id>/files/` (the unpacked
 * folder a container copies) beside `bundle.zip` (what the content endpoints serve). Uploads are
 * received and checked in a private staging folder and moved into place only once accepted, so a
 * refused upload leaves nothing behind. Every call is scoped by project.
 *
 * @example
 * const skill = await skills.create(projectId, (partsDir) => receiveFileParts(request, { directory: partsDir, … }));
 */
export class SkillService {
  readonly limits: SkillLimits;
  readonly #options: SkillServiceOptions;

  constructor(options: SkillServiceOptions) {
    this.#options = options;
    this.limits = options.limits ?? defaultSkillLimits;
  }

  /** Creates the directory and removes what a crash left: staging folders and unrecorded versions. */
  async start(): Promise<void> {
    const { directory, store, logger } = this.#options;
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await rm(this.#stagingDir(), { recursive: true, force: true });
    const recorded = await store.listSkillVersionIds();
    for (const skill of await readdir(directory)) {
      if (!skill.startsWith('skill_')) continue;
      const versions = await readdir(`${directory}/${skill}`);
      for (const version of versions) {
        if (recorded.has(version)) continue;
        logger.info('removing an unrecorded skill version', { skill, version });
        await rm(`${directory}/${skill}/${version}`, { recursive: true, force: true });
      }
      if (versions.every((version) => !recorded.has(version))) {
        await rm(`${directory}/${skill}`, { recursive: true, force: true });
      }
    }
  }

  /** A new skill from an upload; `receive` writes the upload's parts into the folder it is given. */
  async create(
    projectId: string,
    receive: (partsDir: string) => Promise<UploadedSkillFiles>,
  ): Promise<StoredSkill> {
    const skillId = this.#options.ids.next('skill');
    return this.#withStaging(async (work) => {
      const version = await this.#stageVersion(work, skillId, await receive(await this.#partsDir(work)));
      try {
        return await this.#options.store.createSkill(
          { id: skillId, projectId, createdAt: version.createdAt },
          version,
        );
      } catch (error) {
        await rm(this.#skillDir(skillId), { recursive: true, force: true });
        throw error;
      }
    });
  }

  /** A new version of a skill (404 before the upload is read when the skill is unknown). */
  async createVersion(
    projectId: string,
    skillId: string,
    receive: (partsDir: string) => Promise<UploadedSkillFiles & { readonly makeDefault: boolean }>,
  ): Promise<StoredSkillVersion> {
    await this.get(projectId, skillId);
    return this.#withStaging(async (work) => {
      const upload = await receive(await this.#partsDir(work));
      const version = await this.#stageVersion(work, skillId, upload);
      const remove = () => rm(`${this.#skillDir(skillId)}/${version.id}`, { recursive: true, force: true });
      let stored: StoredSkillVersion | undefined;
      try {
        stored = await this.#options.store.addSkillVersion(projectId, skillId, version, upload.makeDefault);
      } catch (error) {
        await remove();
        throw error;
      }
      // Undefined: the skill was deleted while its upload was being read.
      if (!stored) {
        await remove();
        throw notFound('skill', skillId);
      }
      return stored;
    });
  }

  async get(projectId: string, id: string): Promise<StoredSkill> {
    const skill = await this.#options.store.getSkill(projectId, id);
    if (!skill) throw notFound('skill', id);
    return skill;
  }

  list(projectId: string, page: PageRequest): Promise<Page<StoredSkill>> {
    return this.#options.store.listSkills(projectId, page);
  }

  /** Points the skill at another of its versions (`default_version`). */
  async setDefaultVersion(projectId: string, id: string, version: string): Promise<StoredSkill> {
    await this.get(projectId, id);
    const number = versionNumber(version);
    const updated =
      number === undefined
        ? undefined
        : await this.#options.store.setSkillDefaultVersion(projectId, id, number);
    if (!updated) {
      throw new BerthError('not_found', `Skill '${id}' has no version '${version}'.`, {
        param: 'default_version',
      });
    }
    return updated;
  }

  /** Deletes the skill, every version and their files. Containers keep the copies they were given. */
  async delete(projectId: string, id: string): Promise<void> {
    const deleted = await this.#options.store.deleteSkill(projectId, id);
    if (!deleted) throw notFound('skill', id);
    await rm(this.#skillDir(id), { recursive: true, force: true });
  }

  /** One version by number (`"2"`) or `"latest"`. */
  async getVersion(projectId: string, id: string, version: string): Promise<StoredSkillVersion> {
    const skill = await this.get(projectId, id);
    const number = version === 'latest' ? skill.latestVersion : versionNumber(version);
    const found =
      number === undefined ? undefined : await this.#options.store.getSkillVersion(projectId, id, number);
    if (!found) throw new BerthError('not_found', `Skill '${id}' has no version '${version}'.`);
    return found;
  }

  async listVersions(projectId: string, id: string, page: PageRequest): Promise<Page<StoredSkillVersion>> {
    const versions = await this.#options.store.listSkillVersions(projectId, id, page);
    if (!versions) throw notFound('skill', id);
    return versions;
  }

  /**
   * Deletes one version and its files. The default version cannot be deleted (point `default_version`
   * elsewhere first, or delete the skill): silently moving the default would change what every later
   * container gets, and a skill always has a version to serve.
   */
  async deleteVersion(projectId: string, id: string, version: string): Promise<StoredSkillVersion> {
    const skill = await this.get(projectId, id);
    const found = await this.getVersion(projectId, id, version);
    if (found.version === skill.defaultVersion) {
      throw new BerthError(
        'invalid_request',
        `Version ${found.version} is the default version of skill '${id}'; set another default_version first, or delete the skill.`,
        { param: 'version' },
      );
    }
    await this.#options.store.deleteSkillVersion(projectId, id, found.version);
    await rm(`${this.#skillDir(id)}/${found.id}`, { recursive: true, force: true });
    return found;
  }

  /** The zip of a version (the default when `version` is absent), to stream to the client. */
  async contentPath(projectId: string, id: string, version?: string): Promise<string> {
    const skill = await this.get(projectId, id);
    const found = await this.getVersion(projectId, id, version ?? String(skill.defaultVersion));
    return `${this.#skillDir(id)}/${found.id}/bundle.zip`;
  }

  /**
   * Checks a container's `skills` and finds each one's files: references are looked up (404 naming
   * `skills[i].skill_id` or `.version`), inline zips are checked exactly as uploads are and unpacked
   * into a staging folder (400 naming `skills[i].source.data`). Two skills with one name are refused,
   * since each becomes `/skills/<name>`. A caller whose `skills` sit elsewhere in its request (the
   * shell tool's `environment`) prefixes the `param`.
   */
  async resolveForContainer(projectId: string, skills: readonly ContainerSkill[]): Promise<ResolvedSkills> {
    const attached: AttachedSkill[] = [];
    const roots: string[] = [];
    const work = `${this.#stagingDir()}/${randomBytes(12).toString('hex')}`;
    const release = () => rm(work, { recursive: true, force: true });
    try {
      for (const [index, skill] of skills.entries()) {
        const at = `skills[${index}]`;
        if (skill.type === 'skill_reference') {
          const stored = await this.#options.store.getSkill(projectId, skill.skill_id);
          if (!stored) throw notFound('skill', skill.skill_id, `${at}.skill_id`);
          const number =
            skill.version === undefined
              ? stored.defaultVersion
              : skill.version === 'latest'
                ? stored.latestVersion
                : Number(skill.version);
          const version = await this.#options.store.getSkillVersion(projectId, stored.id, number);
          if (!version) {
            throw new BerthError(
              'not_found',
              `Skill '${stored.id}' has no version '${skill.version ?? number}'.`,
              {
                param: `${at}.version`,
              },
            );
          }
          attached.push({
            name: version.name,
            description: version.description,
            skillId: stored.id,
            version: number,
          });
          roots.push(`${this.#skillDir(stored.id)}/${version.id}/files`);
        } else {
          const name = inlineField(() => checkSkillName(skill.name), `${at}.name`);
          const description = inlineField(
            () => checkSkillDescription(skill.description),
            `${at}.description`,
          );
          const data = Buffer.from(skill.source.data, 'base64');
          if (data.length > this.limits.maxUploadBytes) {
            throw new BerthError(
              'invalid_value',
              `The inline skill's zip is larger than ${this.limits.maxUploadBytes} bytes.`,
              {
                param: `${at}.source.data`,
              },
            );
          }
          const inlineWork = `${work}/${index}`;
          await mkdir(inlineWork, { recursive: true, mode: 0o700 });
          await writeFile(`${inlineWork}/inline.zip`, data, { mode: 0o600 });
          const bundle = await stageZipBundle(`${inlineWork}/inline.zip`, inlineWork, this.limits).catch(
            bundleError(`${at}.source.data`),
          );
          attached.push({ name, description, skillId: null, version: null });
          roots.push(bundle.root);
        }
        const clash = attached.findIndex((other) => other.name === attached.at(-1)?.name);
        if (clash !== attached.length - 1) {
          throw new BerthError(
            'invalid_value',
            `Two skills are named '${attached.at(-1)?.name ?? ''}'; each is mounted at /skills/<name>, so names must differ.`,
            {
              param: at,
            },
          );
        }
      }
    } catch (error) {
      await release();
      throw error;
    }
    return { attached, roots, release };
  }

  /** Checks the upload, then moves it into `<skill>/<version id>/` with its zip beside it. */
  async #stageVersion(
    work: string,
    skillId: string,
    upload: UploadedSkillFiles,
  ): Promise<{ id: string; name: string; description: string; createdAt: number }> {
    const bundle = await this.#bundleOf(work, upload).catch(bundleError('files'));
    const id = this.#options.ids.next('skillver');
    const final = `${work}/final`;
    await mkdir(final, { mode: 0o700 });
    await rename(bundle.root, `${final}/files`);
    await writeBundleZip(`${final}/files`, bundle.manifest.name, `${final}/bundle.zip`);
    await mkdir(this.#skillDir(skillId), { recursive: true, mode: 0o700 });
    await rename(final, `${this.#skillDir(skillId)}/${id}`);
    return { id, ...bundle.manifest, createdAt: unixSeconds(this.#options.clock) };
  }

  /** One zip part is a zip upload; anything else is a directory upload. */
  async #bundleOf(work: string, upload: UploadedSkillFiles): Promise<SkillBundle> {
    const [only] = upload.files;
    if (
      upload.files.length === 1 &&
      only &&
      (await looksLikeZip({ path: only.filename, source: only.path, contentType: only.contentType }))
    ) {
      return stageZipBundle(only.path, work, this.limits);
    }
    return stageFilesBundle(
      upload.files.map((file) => ({ path: file.filename, source: file.path, bytes: file.bytes })),
      work,
      this.limits,
    );
  }

  async #withStaging<T>(work: (dir: string) => Promise<T>): Promise<T> {
    const dir = `${this.#stagingDir()}/${randomBytes(12).toString('hex')}`;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      return await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #partsDir(work: string): Promise<string> {
    await mkdir(`${work}/parts`, { mode: 0o700 });
    return `${work}/parts`;
  }

  #stagingDir(): string {
    return `${this.#options.directory}/.staging`;
  }

  #skillDir(id: string): string {
    return `${this.#options.directory}/${id}`;
  }
}

/** `"2"` as 2; anything that is not a positive version number as undefined. */
function versionNumber(version: string): number | undefined {
  return /^[1-9][0-9]{0,8}$/.test(version) ? Number(version) : undefined;
}

function bundleError(param: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof SkillBundleError) throw new BerthError('invalid_value', error.message, { param });
    throw error;
  };
}

function inlineField(check: () => string, param: string): string {
  try {
    return check();
  } catch (error) {
    if (error instanceof SkillManifestError) throw new BerthError('invalid_value', error.message, { param });
    throw error;
  }
}
