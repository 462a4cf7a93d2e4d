import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { parseBundlePath } from './bundle-path.js';
import { SkillBundleError } from './skill-bundle-error.js';
import type { SkillLimits } from './skill-limits.js';

/** Folders macOS's archiver adds beside the real content; skipped, never extracted. */
const ignoredTopFolders = new Set(['__MACOSX']);

const fileTypeMask = 0o170000;
const regularFile = 0o100000;
const directory = 0o040000;
/** `versionMadeBy`'s high byte for archives made on Unix, whose external attributes carry a mode. */
const madeOnUnix = 3;

/**
 * Extracts a zip into the empty directory `into`, refusing (with a `SkillBundleError`, leaving
 * whatever was written for the caller to remove) anything a skill bundle must not contain:
 *
 * - paths that leave `into` or are ambiguous (see `parseBundlePath`), and duplicate paths;
 * - entries that are not regular files or directories (symlinks above all: one extracted and later
 *   followed would point anywhere on the host or in the sandbox), and encrypted or oddly compressed ones;
 * - more than `maxFiles` files, a file over `maxFileBytes`, or more than `maxTotalBytes` in all.
 *
 * Sizes are checked twice: the sizes the zip declares before anything is inflated, and the bytes
 * actually produced while inflating (a zip bomb's headers lie), counted as they are written and cut off
 * at the bound. yauzl itself also refuses an entry whose data is longer than it declares; each file's
 * CRC-32 is checked here, since yauzl does not.
 * Files are written with mode 0644, or 0755 when the archive marks them executable.
 */
export async function extractZipBundle(zipPath: string, into: string, limits: SkillLimits): Promise<void> {
  const zip = await openZip(zipPath);
  const seen = new Set<string>();
  let files = 0;
  let declaredTotal = 0;
  let writtenTotal = 0;
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const isDirectoryEntry = entry.fileName.endsWith('/');
      const parsed = parseBundlePath(isDirectoryEntry ? entry.fileName.slice(0, -1) : entry.fileName);
      if ('problem' in parsed) throw new SkillBundleError(`The zip is refused: ${parsed.problem}.`);
      if (ignoredTopFolders.has(parsed.segments[0] ?? '')) continue;
      const path = parsed.segments.join('/');
      if (seen.has(path))
        throw new SkillBundleError(`The zip is refused: ${JSON.stringify(path)} appears twice.`);
      seen.add(path);
      const mode = entryMode(entry);
      const type = mode & fileTypeMask;
      if (isDirectoryEntry) {
        if (type !== 0 && type !== directory) throw notRegular(path);
        await mkdir(`${into}/${path}`, { recursive: true, mode: 0o755 }).catch(conflict(path));
        continue;
      }
      if (type !== 0 && type !== regularFile) throw notRegular(path);
      if (entry.isEncrypted())
        throw new SkillBundleError(`The zip is refused: ${JSON.stringify(path)} is encrypted.`);
      if (!entry.canDecodeFileData()) {
        throw new SkillBundleError(
          `The zip is refused: ${JSON.stringify(path)} uses compression method ${entry.compressionMethod}; only stored and deflated files are read.`,
        );
      }
      files += 1;
      if (files > limits.maxFiles) {
        throw new SkillBundleError(`A skill can have at most ${limits.maxFiles} files.`);
      }
      if (entry.uncompressedSize > limits.maxFileBytes) throw fileTooLarge(path, limits);
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) throw totalTooLarge(limits);

      if (parsed.segments.length > 1) {
        await mkdir(`${into}/${parsed.segments.slice(0, -1).join('/')}`, {
          recursive: true,
          mode: 0o755,
        }).catch(conflict(path));
      }
      let written = 0;
      let crc = 0;
      const declaredCrc = entry.crc32;
      const bound = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          written += chunk.length;
          writtenTotal += chunk.length;
          crc = crc32(chunk, crc);
          if (written > limits.maxFileBytes) done(fileTooLarge(path, limits));
          else if (writtenTotal > limits.maxTotalBytes) done(totalTooLarge(limits));
          else done(null, chunk);
        },
        // yauzl does not check CRCs: a corrupted (or tampered) entry inflates to something else.
        flush(done) {
          if (crc === declaredCrc) done();
          else
            done(
              new SkillBundleError(
                `The zip is refused: ${JSON.stringify(path)} is corrupt (its CRC-32 does not match its data).`,
              ),
            );
        },
      });
      const sink = createWriteStream(`${into}/${path}`, { flags: 'wx', mode: mode & 0o111 ? 0o755 : 0o644 });
      await pipeline(await openEntry(zip, entry), bound, sink).catch((error: unknown) => {
        if (error instanceof SkillBundleError) throw error;
        if ((error as NodeJS.ErrnoException).syscall === 'open') return conflict(path)(error);
        throw new SkillBundleError(
          `The zip is refused: ${JSON.stringify(path)} could not be read (${message(error)}).`,
        );
      });
    }
  } finally {
    zip.close();
  }
}

function entryMode(entry: Entry): number {
  return entry.versionMadeBy >> 8 === madeOnUnix ? (entry.externalFileAttributes >>> 16) & 0xffff : 0;
}

function notRegular(path: string): SkillBundleError {
  return new SkillBundleError(
    `The zip is refused: ${JSON.stringify(path)} is a symbolic link or another special file; a skill holds only regular files and folders.`,
  );
}

function fileTooLarge(path: string, limits: SkillLimits): SkillBundleError {
  return new SkillBundleError(
    `${JSON.stringify(path)} is larger than ${limits.maxFileBytes} bytes uncompressed, the most one skill file can be.`,
  );
}

function totalTooLarge(limits: SkillLimits): SkillBundleError {
  return new SkillBundleError(
    `The skill is larger than ${limits.maxTotalBytes} bytes uncompressed, the most a skill can be.`,
  );
}

/** A path that collides with another as file and folder (`a` and `a/b`), or twice in another spelling. */
function conflict(path: string): (error: unknown) => never {
  return (error) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new SkillBundleError(`The zip is refused: ${JSON.stringify(path)} collides with another entry.`);
    }
    throw error;
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // lazyEntries: one entry at a time, when asked; strictFileNames: a backslash is an error rather than
    // silently a separator; decodeStrings: yauzl also refuses absolute and `..` names itself.
    yauzl.open(
      path,
      {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        strictFileNames: true,
        validateEntrySizes: true,
      },
      (error, zip) => {
        if (error || !zip)
          reject(new SkillBundleError(`The upload is not a valid zip file: ${message(error)}.`));
        else resolve(zip);
      },
    );
  });
}

/** The next entry, or undefined at the end; a malformed entry is a `SkillBundleError`. */
function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(new SkillBundleError(`The zip is refused: ${message(error)}.`));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) reject(new SkillBundleError(`The zip is refused: ${message(error)}.`));
      else resolve(stream);
    });
  });
}
