import { createWriteStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/**
 * Writes a skill's folder as the zip the content endpoints serve: every file under one top folder named
 * after the skill (`basic-math/SKILL.md`), as a directory upload would have sent it, with its mode kept
 * (so executable scripts stay executable), in a stable order.
 */
export async function writeBundleZip(root: string, name: string, destination: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, createWriteStream(destination, { flags: 'wx', mode: 0o600 }));
  for (const relative of await filesUnder(root)) {
    const info = await lstat(`${root}/${relative}`);
    zip.addFile(`${root}/${relative}`, `${name}/${relative}`, { mode: info.mode, compress: true });
  }
  zip.end();
  await done;
}

async function filesUnder(root: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  const entries = (await readdir(`${root}/${prefix}`, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await filesUnder(root, relative)));
    else found.push(relative);
  }
  return found;
}
