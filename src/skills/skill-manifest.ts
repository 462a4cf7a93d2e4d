import { parseDocument } from 'yaml';

/** What a skill says about itself in its SKILL.md front matter. */
export interface SkillManifest {
  readonly name: string;
  readonly description: string;
}

/**
 * The Agent Skills format's rule for names: lowercase letters, digits and single hyphens, not at either
 * end, at most 64 characters. The name is also the skill's folder under `/skills` in a sandbox, so it
 * must be one safe path segment, which this guarantees.
 */
export const skillNamePattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const maxSkillNameLength = 64;
/** The Agent Skills format's bound on `description`. */
export const maxSkillDescriptionLength = 1024;

/** Why a SKILL.md, or a name or description given with an inline skill, is refused. */
export class SkillManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkillManifestError';
  }
}

/**
 * Reads SKILL.md's YAML front matter (between a first line `---` and the next `---`) and checks its
 * `name` and `description`. Other keys (`license`, `metadata`, `allowed-tools`, …) are allowed and
 * ignored. YAML aliases are capped, so a "billion laughs" document cannot blow up in memory.
 */
export function parseSkillManifest(text: string): SkillManifest {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') {
    throw new SkillManifestError(
      'SKILL.md must start with YAML front matter: a line "---", then name and description.',
    );
  }
  const end = lines.findIndex((line, index) => index > 0 && line.trim() === '---');
  if (end === -1) throw new SkillManifestError('SKILL.md front matter is not closed by a line "---".');
  const document = parseDocument(lines.slice(1, end).join('\n'), { prettyErrors: false });
  if (document.errors.length > 0) {
    throw new SkillManifestError(
      `SKILL.md front matter is not valid YAML: ${document.errors[0]?.message ?? ''}`,
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 50 });
  } catch (error) {
    throw new SkillManifestError(`SKILL.md front matter could not be read: ${String(error)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SkillManifestError('SKILL.md front matter must be a YAML mapping with name and description.');
  }
  const { name, description } = data as Record<string, unknown>;
  return { name: checkSkillName(name), description: checkSkillDescription(description) };
}

/** The name if it follows the Agent Skills rules; otherwise a `SkillManifestError` saying why. */
export function checkSkillName(name: unknown): string {
  if (name === undefined || name === null) throw new SkillManifestError('SKILL.md front matter has no name.');
  if (typeof name !== 'string') throw new SkillManifestError('The skill name must be a string.');
  if (name.length > maxSkillNameLength || !skillNamePattern.test(name)) {
    throw new SkillManifestError(
      `The skill name ${JSON.stringify(name.slice(0, 100))} is invalid: use 1-${maxSkillNameLength} lowercase letters, digits and single hyphens, not starting or ending with a hyphen.`,
    );
  }
  return name;
}

/** The description if it is a non-empty string within bounds; otherwise a `SkillManifestError`. */
export function checkSkillDescription(description: unknown): string {
  if (description === undefined || description === null) {
    throw new SkillManifestError('SKILL.md front matter has no description.');
  }
  if (typeof description !== 'string' || description.trim() === '') {
    throw new SkillManifestError('The skill description must be a non-empty string.');
  }
  if (description.length > maxSkillDescriptionLength) {
    throw new SkillManifestError(
      `The skill description is ${description.length} characters long; at most ${maxSkillDescriptionLength} are allowed.`,
    );
  }
  return description.trim();
}
