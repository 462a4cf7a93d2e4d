import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { beginImageBuild, findImage, listImages, removeImage, type ImageManifest } from './image-store.js';

const root = mkdtempSync(join(tmpdir(), 'berth-images-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const freshDataDir = (): string => join(root, `data-${(count += 1)}`);

function manifest(overrides: Partial<ImageManifest> = {}): ImageManifest {
  return {
    name: 'debian',
    builtAt: 1_800_000_000,
    packages: ['python3'],
    suite: 'bookworm',
    mirror: 'http://deb.debian.org/debian',
    bytes: 4096,
    ...overrides,
  };
}

/** Stages a build whose root tree holds one marker file, and commits it. */
async function build(dataDir: string, marker: string, overrides: Partial<ImageManifest> = {}) {
  const staged = await beginImageBuild(dataDir);
  mkdirSync(staged.rootfs);
  writeFileSync(join(staged.rootfs, 'marker'), marker);
  return staged.commit(manifest(overrides));
}

describe('image store', () => {
  it('commits a build into <dataDir>/images/<name> with image.json, and finds and lists it', async () => {
    const dataDir = freshDataDir();
    expect(await listImages(dataDir)).toEqual([]);
    const image = await build(dataDir, 'one');
    expect(image.rootfs).toBe(join(dataDir, 'images/debian/rootfs'));
    expect(image.manifest).toEqual(manifest());
    expect(await findImage(dataDir, 'debian')).toEqual(image);
    expect(await listImages(dataDir)).toEqual([image]);
    expect(readdirSync(join(dataDir, 'images')).sort()).toEqual(['debian']);
  });

  it('returns the real path of the root tree when the data directory is reached through a symlink', async () => {
    const dataDir = freshDataDir();
    await build(dataDir, 'one');
    const link = join(root, `link-${count}`);
    symlinkSync(dataDir, link);
    expect((await findImage(link, 'debian'))?.rootfs).toBe(join(dataDir, 'images/debian/rootfs'));
  });

  it('replaces an older image only when the new one is committed; a discarded build leaves the old one', async () => {
    const dataDir = freshDataDir();
    await build(dataDir, 'old', { builtAt: 1 });
    const staged = await beginImageBuild(dataDir);
    mkdirSync(staged.rootfs);
    writeFileSync(join(staged.rootfs, 'marker'), 'half');
    expect((await findImage(dataDir, 'debian'))?.manifest.builtAt).toBe(1);
    await staged.discard();
    expect(existsSync(staged.directory)).toBe(false);
    expect((await findImage(dataDir, 'debian'))?.manifest.builtAt).toBe(1);

    await build(dataDir, 'new', { builtAt: 2 });
    expect((await findImage(dataDir, 'debian'))?.manifest.builtAt).toBe(2);
    expect(readdirSync(join(dataDir, 'images'))).toEqual(['debian']);
  });

  it('ignores unfinished builds and directories without image.json, and the next build deletes them', async () => {
    const dataDir = freshDataDir();
    const images = join(dataDir, 'images');
    mkdirSync(join(images, '.build-abandoned/rootfs'), { recursive: true });
    mkdirSync(join(images, 'half/rootfs'), { recursive: true });
    mkdirSync(join(images, 'broken/rootfs'), { recursive: true });
    writeFileSync(join(images, 'broken/image.json'), '{"name":');
    mkdirSync(join(images, 'renamed/rootfs'), { recursive: true });
    writeFileSync(join(images, 'renamed/image.json'), JSON.stringify(manifest({ name: 'other' })));
    expect(await listImages(dataDir)).toEqual([]);
    expect(await findImage(dataDir, 'half')).toBeUndefined();

    const staged = await beginImageBuild(dataDir);
    expect(readdirSync(images).sort()).toEqual(
      ['.build.lock', staged.directory.split('/').at(-1), 'renamed'].sort(),
    );
    await staged.discard();
  });

  it('allows one build at a time, and takes over a lock left by a process that is gone', async () => {
    const dataDir = freshDataDir();
    const first = await beginImageBuild(dataDir);
    await expect(beginImageBuild(dataDir)).rejects.toThrow(
      `another image build is running (pid ${process.pid})`,
    );
    await first.discard();
    writeFileSync(join(dataDir, 'images/.build.lock'), '999999999\n');
    const second = await beginImageBuild(dataDir);
    await second.discard();
    expect(existsSync(join(dataDir, 'images/.build.lock'))).toBe(false);
  });

  it('removes an image, and answers false for one that does not exist or a name that cannot be one', async () => {
    const dataDir = freshDataDir();
    await build(dataDir, 'one');
    expect(await removeImage(dataDir, 'debian')).toBe(true);
    expect(await findImage(dataDir, 'debian')).toBeUndefined();
    expect(readdirSync(join(dataDir, 'images'))).toEqual([]);
    expect(await removeImage(dataDir, 'debian')).toBe(false);
    expect(await removeImage(dataDir, '../images')).toBe(false);
    expect(await findImage(dataDir, '..')).toBeUndefined();
  });
});
