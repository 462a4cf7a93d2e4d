import { describe, expect, it } from 'vitest';
import type { FileStore, Page, StoredFile } from '../../../src/store/store.js';
import { freshStores, type OpenStores } from './open-stores.js';

/** The behaviour every `FileStore` must have. */
export function describeFileStoreContract(
  backend: string,
  open: OpenStores<{ readonly files: FileStore }>,
): void {
  describe(`FileStore contract: ${backend}`, () => {
    const stores = freshStores(open);
    const file = (id: string, overrides: Partial<StoredFile> = {}): StoredFile => ({
      id,
      projectId: 'proj_a',
      filename: `${id}.txt`,
      purpose: 'user_data',
      bytes: 3,
      createdAt: 100,
      expiresAt: null,
      ...overrides,
    });
    const fileIds = (page: Page<StoredFile>) => page.data.map((entry) => entry.id);

    it('keeps file metadata per project and deletes it', async () => {
      const { files } = stores();
      await files.createFile(file('file-1', { expiresAt: 200 }));
      expect(await files.getFile('proj_a', 'file-1')).toEqual(file('file-1', { expiresAt: 200 }));
      expect(await files.getFile('proj_b', 'file-1')).toBeUndefined();
      expect(await files.deleteFile('proj_b', 'file-1')).toBe(false);
      expect(await files.deleteFile('proj_a', 'file-1')).toBe(true);
      expect(await files.getFile('proj_a', 'file-1')).toBeUndefined();
      expect(await files.deleteFile('proj_a', 'file-1')).toBe(false);
    });

    it('pages files in upload order, by purpose, leaving out expired ones and other projects', async () => {
      const { files } = stores();
      for (const [index, purpose] of ['user_data', 'batch', 'user_data', 'user_data'].entries()) {
        await files.createFile(file(`file-${index}`, { purpose }));
      }
      await files.createFile(file('file-expired', { expiresAt: 150 }));
      await files.createFile(file('file-later', { expiresAt: 151 }));
      await files.createFile(file('file-other', { projectId: 'proj_b' }));
      const query = { limit: 2, order: 'desc' as const, now: 150 };

      const first = await files.listFiles('proj_a', query);
      expect(first.data).toEqual([file('file-later', { expiresAt: 151 }), file('file-3')]);
      expect(first.hasMore).toBe(true);
      const second = await files.listFiles('proj_a', { ...query, after: 'file-3' });
      expect(fileIds(second)).toEqual(['file-2', 'file-1']);
      const last = await files.listFiles('proj_a', { ...query, after: 'file-1' });
      expect(fileIds(last)).toEqual(['file-0']);
      expect(last.hasMore).toBe(false);

      const userData = await files.listFiles('proj_a', {
        ...query,
        order: 'asc',
        purpose: 'user_data',
        limit: 10,
      });
      expect(fileIds(userData)).toEqual(['file-0', 'file-2', 'file-3', 'file-later']);
      // Another project's id is no cursor.
      expect(fileIds(await files.listFiles('proj_a', { ...query, after: 'file-other' }))).toEqual([]);
      expect(fileIds(await files.listFiles('proj_b', { ...query, limit: 10 }))).toEqual(['file-other']);
    });

    it('finds expired files across projects for the sweep, and which ids are recorded', async () => {
      const { files } = stores();
      await files.createFile(file('file-a', { expiresAt: 300 }));
      await files.createFile(file('file-b', { projectId: 'proj_b', expiresAt: 200 }));
      await files.createFile(file('file-c'));
      expect(await files.listExpiredFiles(250, 10)).toEqual([
        file('file-b', { projectId: 'proj_b', expiresAt: 200 }),
      ]);
      expect((await files.listExpiredFiles(300, 10)).map((entry) => entry.id)).toEqual(['file-b', 'file-a']);
      expect((await files.listExpiredFiles(300, 1)).map((entry) => entry.id)).toEqual(['file-b']);
      expect([...(await files.findRecordedFileIds(['file-a', 'file-b', 'file-x']))].sort()).toEqual([
        'file-a',
        'file-b',
      ]);
    });
  });
}
