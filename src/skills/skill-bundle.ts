import { chmod, lstat, mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { parseBundlePath } from './bundle-path.js';
import { SkillBundleError } from './skill-bundle-error.js';
import type { SkillLimits } from './skill-limits.js';
import { parseSkillManifest, SkillManifestError, type SkillManifest } from './skill-manifest.js';
import { extractZipBundle } from './zip-bundle-reader.js';

/** A checked skill bundle, unpacked on the host. */
export interface SkillBundle {
  readonly manifest: SkillManifest;
  /** The skill's folder: `SKILL.md` at its top; directories 0755, files 0644 or 0755, nothing else. */
  readonly root: string;
}

/** One uploaded file of a directory upload: the path the client gave it and where its bytes are. */
export interface BundleFile {
  /** As the client sent it: `basic-math/SKILL.md`. */
  readonly path: string;
  /** Where the bytes are on the host (they are moved into the bundle). */
  readonly source: string;
  readonly bytes: number;
}

const zipMagic = [Buffer.from('PK\x03\x04'), Buffer.from('PK\x05\x06')];

/** Whether an uploaded file is a zip archive (by name, by declared type, or by its first bytes). */
export async function looksLikeZip(file: {
  path: string;
  source: string;
  contentType?: string;
}): Promise<boolean> {
  if (/\.zip$/i.test(file.path) || /^application\/(x-)?zip/i.test(file.contentType ?? '')) return true;
  const head = Buffer.alloc(4);
  const handle = await open(file.source, 'r');
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  return zipMagic.some((magic) => magic.equals(head));
}

/**
 * A directory upload (OpenAI's `files[]`): every path inside one top folder (`basic-math/SKILL.md`,
 * `basic-math/scripts/add.py`), which must hold SKILL.md. The files are moved into `<work>/bundle/`
 * under their checked paths; the top folder's name itself is not kept (the skill's folder is named
 * after its front matter).
 */
export async function stageFilesBundle(
  files: readonly BundleFile[],
  work: string,
  limits: SkillLimits,
): Promise<SkillBundle> {
  if (files.length === 0)
    throw new SkillBundleError("No files were uploaded: send the skill folder's files or one zip.");
  if (files.length > limits.maxFiles)
    throw new SkillBundleError(`A skill can have at most ${limits.maxFiles} files.`);
  const placed = new Map<string, BundleFile>();
  let top: string | undefined;
  let total = 0;
  for (const file of files) {
    const parsed = parseBundlePath(file.path);
    if ('problem' in parsed) throw new SkillBundleError(`The upload is refused: ${parsed.problem}.`);
    const [first, ...rest] = parsed.segments;
    if (rest.length === 0 || (top !== undefined && first !== top)) {
      throw new SkillBundleError(
        `Every file must be inside one top folder (for example "my-skill/SKILL.md"); ${JSON.stringify(file.path)} is not${top === undefined ? '' : ` inside "${top}"`}.`,
      );
    }
    top = first;
    const inside = rest.join('/');
    if (placed.has(inside)) throw new SkillBundleError(`${JSON.stringify(file.path)} was uploaded twice.`);
    if (file.bytes > limits.maxFileBytes) {
      throw new SkillBundleError(
        `${JSON.stringify(file.path)} is larger than ${limits.maxFileBytes} bytes, the most one skill file can be.`,
      );
    }
    total += file.bytes;
    if (total > limits.maxTotalBytes) {
      throw new SkillBundleError(
        `The skill is larger than ${limits.maxTotalBytes} bytes, the most a skill can be.`,
      );
    }
    placed.set(inside, file);
  }
  const root = `${work}/bundle`;
  await mkdir(root, { mode: 0o755 });
  for (const [inside, file] of placed) {
    const segments = inside.split('/');
    try {
      if (segments.length > 1)
        await mkdir(`${root}/${segments.slice(0, -1).join('/')}`, { recursive: true, mode: 0o755 });
      // Never over an existing path: `a` as a file and `a/b` would otherwise replace one another.
      if (await exists(`${root}/${inside}`)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      await rename(file.source, `${root}/${inside}`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENOTEMPTY') {
        throw new SkillBundleError(`${JSON.stringify(file.path)} collides with another uploaded file.`);
      }
      throw error;
    }
  }
  return finishBundle(root);
}

/**
 * A zip (OpenAI's single `files` part, or an inline skill's data): either one top folder holding
 * SKILL.md, or SKILL.md at the top of the zip. Extracted under `<work>/unzipped/`.
 */
export async function stageZipBundle(
  zipPath: string,
  work: string,
  limits: SkillLimits,
): Promise<SkillBundle> {
  const size = (await stat(zipPath)).size;
  if (size > limits.maxUploadBytes) {
    throw new SkillBundleError(
      `The zip is larger than ${limits.maxUploadBytes} bytes, the most a skill upload can be.`,
    );
  }
  const unzipped = `${work}/unzipped`;
  await mkdir(unzipped, { mode: 0o755 });
  await extractZipBundle(zipPath, unzipped, limits);
  if (await isFile(`${unzipped}/SKILL.md`)) return finishBundle(unzipped);
  const top = await readdir(unzipped);
  if (top.length === 1 && (await isFile(`${unzipped}/${top[0]}/SKILL.md`)))
    return finishBundle(`${unzipped}/${top[0]}`);
  throw new SkillBundleError(
    top.length === 1
      ? `The zip's folder "${top[0]}" has no SKILL.md at its top.`
      : 'The zip must hold one top folder with a SKILL.md in it (or SKILL.md at its top); it has no SKILL.md where one is looked for.',
  );
}

/** Reads the manifest and sets every mode (0755 folders; 0644 files, or 0755 when executable). */
async function finishBundle(root: string): Promise<SkillBundle> {
  if (!(await isFile(`${root}/SKILL.md`))) {
    throw new SkillBundleError('The skill has no SKILL.md at the top of its folder.');
  }
  let manifest: SkillManifest;
  try {
    manifest = parseSkillManifest(await readFile(`${root}/SKILL.md`, 'utf8'));
  } catch (error) {
    if (error instanceof SkillManifestError) throw new SkillBundleError(error.message);
    throw error;
  }
  await normalizeModes(root);
  return { manifest, root };
}

/**
 * Sets the modes a mounted skill needs (readable and searchable by the sandbox's unprivileged uid,
 * writable by nobody but the owner — and the mount is read-only besides), whatever the umask was, and
 * checks that the tree holds nothing but folders and regular files.
 */
export async function normalizeModes(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = `${root}/${entry.name}`;
    const info = await lstat(path);
    if (info.isDirectory()) await normalizeModes(path);
    else if (info.isFile()) await chmod(path, info.mode & 0o111 ? 0o755 : 0o644);
    else throw new Error(`${path} is neither a file nor a folder`);
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isFile() ?? false;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
