import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountsUnder, parseMountPoints } from '../mounts.js';
import { removeTree } from './remove-tree.js';

describe('parseMountPoints and mountsUnder', () => {
  it('decodes escaped mount points and finds those under a directory, deepest first', () => {
    const mountinfo = [
      '22 1 0:21 / /proc rw,nosuid - proc proc rw',
      '90 60 0:50 / /data/images/.build-1/rootfs/proc rw - proc proc rw',
      '91 60 0:51 / /data/images/.build-1/rootfs/dev/with\\040space rw - tmpfs tmpfs rw',
      '92 60 0:52 / /data/images/.build-10 rw - tmpfs tmpfs rw',
      '',
    ].join('\n');
    const points = parseMountPoints(mountinfo);
    expect(points).toContain('/data/images/.build-1/rootfs/dev/with space');
    expect(mountsUnder('/data/images/.build-1', points)).toEqual([
      '/data/images/.build-1/rootfs/dev/with space',
      '/data/images/.build-1/rootfs/proc',
    ]);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('removeTree (mounts need root)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'berth-remove-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('unmounts what is mounted inside before deleting, so the mounted files survive', () => {
    const outside = join(directory, 'outside');
    const tree = join(directory, 'tree');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'keep me');
    mkdirSync(join(tree, 'rootfs/dev'), { recursive: true });
    mkdirSync(join(tree, 'rootfs/proc'), { recursive: true });
    execFileSync('mount', ['--bind', outside, join(tree, 'rootfs/dev')]);
    execFileSync('mount', ['-t', 'proc', 'proc', join(tree, 'rootfs/proc')]);
    return removeTree(tree).then(() => {
      expect(existsSync(tree)).toBe(false);
      expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('keep me');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(tree);
    });
  });
});
