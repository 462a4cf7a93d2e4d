import { crc32, deflateRawSync } from 'node:zlib';

/** One entry of a zip written byte by byte, whatever it claims. */
export interface RawZipEntry {
  /** Written exactly as given: `../x`, `/etc/x`, backslashes and NULs included. */
  readonly name: string;
  readonly data?: Buffer | string;
  /** The Unix mode in the external attributes, type bits included (0o120777 is a symlink). */
  readonly mode?: number;
  /** The uncompressed size the headers declare (the true size by default): a zip bomb lies here. */
  readonly declaredSize?: number;
  /** The CRC-32 the headers declare (the true one by default): a corrupted archive differs here. */
  readonly declaredCrc?: number;
  /** Deflated (the default) or stored. */
  readonly deflate?: boolean;
}

/**
 * A zip archive built by hand, for tests that need archives no well-behaved zip writer makes (zip-slip
 * names, symlinks, lying sizes); well-formed ones come out of it too. Made on "Unix" (so modes count),
 * UTF-8 names, no data descriptors.
 */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data ?? '', 'utf8');
    const deflate = entry.deflate ?? true;
    const stored = deflate ? deflateRawSync(data) : data;
    const size = entry.declaredSize ?? data.length;
    const crc = entry.declaredCrc ?? crc32(data);
    const method = deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? (entry.name.endsWith('/') ? 0o40755 : 0o100644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A SKILL.md with this front matter and a line of instructions. */
export function skillMarkdown(name: string, description: string): string {
  return `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\nRun the scripts in this folder.\n`;
}

/** A well-formed skill zip: `<folder>/SKILL.md` plus a script that prints `message`. */
export function skillZip(name: string, description: string, message = `hello from ${name}`): Buffer {
  return rawZip([
    { name: `${name}/` },
    { name: `${name}/SKILL.md`, data: skillMarkdown(name, description) },
    { name: `${name}/scripts/` },
    { name: `${name}/scripts/hello.sh`, data: `#!/bin/sh\necho '${message}'\n`, mode: 0o100755 },
  ]);
}
