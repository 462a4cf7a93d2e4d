import { describe, expect, it } from 'vitest';
import type { ContainerStore, StoredContainer, StoredContainerFile } from '../../../src/store/store.js';
import { freshStores, type OpenStores } from './open-stores.js';

/** The behaviour every `ContainerStore` must have. */
export function describeContainerStoreContract(
  backend: string,
  open: OpenStores<{ readonly containers: ContainerStore }>,
): void {
  describe(`ContainerStore contract: ${backend}`, () => {
    const stores = freshStores(open);
    const container = (id: string, overrides: Partial<StoredContainer> = {}): StoredContainer => ({
      id,
      projectId: 'proj_a',
      name: 'work',
      status: 'running',
      createdAt: 100,
      lastActiveAt: 100,
      expiresAfterMinutes: 20,
      memoryLimit: '1g',
      networkPolicy: { type: 'disabled' },
      image: 'host',
      skills: [],
      ...overrides,
    });
    const file = (id: string, overrides: Partial<StoredContainerFile> = {}): StoredContainerFile => ({
      id,
      containerId: 'cntr_1',
      path: `/mnt/data/${id}.txt`,
      source: 'user',
      bytes: 3,
      createdAt: 100,
      ...overrides,
    });

    it('keeps containers per project, with their settings and attached skills', async () => {
      const { containers } = stores();
      const withSkills = container('cntr_1', {
        image: 'debian',
        memoryLimit: '4g',
        // An allowlist with a secret: the proxy needs the value and the placeholder after a restart.
        networkPolicy: {
          type: 'allowlist',
          allowed_domains: ['api.example.com', '*.pypi.org'],
          domain_secrets: [
            {
              domain: 'api.example.com',
              name: 'API_KEY',
              value: 'sk-secret',
              placeholder: 'berth_placeholder_0123456789abcdef0123456789abcdef',
            },
          ],
        },
        skills: [
          { name: 'math', description: 'Does sums.', skillId: 'skill_1', version: 2 },
          { name: 'inline', description: 'Came with the request.', skillId: null, version: null },
        ],
      });
      await containers.createContainer(withSkills);
      expect(await containers.getContainer('proj_a', 'cntr_1')).toEqual(withSkills);
      expect(await containers.getContainer('proj_b', 'cntr_1')).toBeUndefined();
      await containers.updateContainer('cntr_1', 'expired', 250);
      expect(await containers.getContainer('proj_a', 'cntr_1')).toEqual({
        ...withSkills,
        status: 'expired',
        lastActiveAt: 250,
      });
      expect(await containers.deleteContainer('proj_b', 'cntr_1')).toBe(false);
      expect(await containers.deleteContainer('proj_a', 'cntr_1')).toBe(true);
      expect(await containers.getContainer('proj_a', 'cntr_1')).toBeUndefined();
      expect(await containers.deleteContainer('proj_a', 'cntr_1')).toBe(false);
    });

    it("replaces a container's network policy, only in its own project", async () => {
      const { containers } = stores();
      await containers.createContainer(container('cntr_1'));
      const policy = {
        type: 'allowlist' as const,
        allowed_domains: ['pypi.org'],
        domain_secrets: [
          {
            domain: 'pypi.org',
            name: 'TOKEN',
            value: 'pypi-secret',
            placeholder: 'berth_placeholder_fedcba9876543210fedcba9876543210',
          },
        ],
      };
      expect(await containers.setContainerNetworkPolicy('proj_b', 'cntr_1', policy)).toBe(false);
      expect((await containers.getContainer('proj_a', 'cntr_1'))?.networkPolicy).toEqual({
        type: 'disabled',
      });
      expect(await containers.setContainerNetworkPolicy('proj_a', 'cntr_1', policy)).toBe(true);
      expect(await containers.getContainer('proj_a', 'cntr_1')).toEqual(
        container('cntr_1', { networkPolicy: policy }),
      );
      expect(await containers.setContainerNetworkPolicy('proj_a', 'cntr_404', policy)).toBe(false);
    });

    it('pages containers in creation order, by name, within a project', async () => {
      const { containers } = stores();
      await containers.createContainer(container('cntr_1'));
      await containers.createContainer(container('cntr_2', { name: 'other' }));
      await containers.createContainer(container('cntr_3'));
      await containers.createContainer(container('cntr_x', { projectId: 'proj_b' }));
      const first = await containers.listContainers('proj_a', { limit: 2, order: 'desc' });
      expect(first).toEqual({
        data: [container('cntr_3'), container('cntr_2', { name: 'other' })],
        hasMore: true,
      });
      const last = await containers.listContainers('proj_a', { limit: 2, order: 'desc', after: 'cntr_2' });
      expect(last).toEqual({ data: [container('cntr_1')], hasMore: false });
      const named = await containers.listContainers('proj_a', { limit: 10, order: 'asc', name: 'work' });
      expect(named.data.map((entry) => entry.id)).toEqual(['cntr_1', 'cntr_3']);
      // Another project's id is no cursor.
      expect(
        (await containers.listContainers('proj_a', { limit: 10, order: 'asc', after: 'cntr_x' })).data,
      ).toEqual([]);
    });

    it('finds containers by status across projects and counts a project’s', async () => {
      const { containers } = stores();
      await containers.createContainer(container('cntr_1'));
      await containers.createContainer(container('cntr_2'));
      await containers.createContainer(container('cntr_3', { projectId: 'proj_b' }));
      await containers.updateContainer('cntr_2', 'expired', 300);
      expect((await containers.listContainersByStatus('running')).map((entry) => entry.id)).toEqual([
        'cntr_1',
        'cntr_3',
      ]);
      expect(await containers.listContainersByStatus('expired')).toEqual([
        container('cntr_2', { status: 'expired', lastActiveAt: 300 }),
      ]);
      expect(await containers.countContainers('proj_a', 'running')).toBe(1);
      expect(await containers.countContainers('proj_a', 'expired')).toBe(1);
      expect(await containers.countContainers('proj_b', 'running')).toBe(1);
      expect(await containers.countContainers('proj_c', 'running')).toBe(0);
    });

    it("records a container's files by path, pages them, and deletes them with the container", async () => {
      const { containers } = stores();
      await containers.createContainer(container('cntr_1'));
      await containers.createContainer(container('cntr_2'));
      await containers.putContainerFile(file('cfile_a'));
      await containers.putContainerFile(file('cfile_b', { source: 'assistant', bytes: 10 }));
      await containers.putContainerFile(file('cfile_c'));
      await containers.putContainerFile(file('cfile_z', { containerId: 'cntr_2' }));
      // The same path again updates the size of the record already there (its id stays).
      await containers.putContainerFile(file('cfile_a2', { path: '/mnt/data/cfile_a.txt', bytes: 42 }));
      expect(await containers.getContainerFile('cntr_1', 'cfile_a')).toEqual(file('cfile_a', { bytes: 42 }));
      expect(await containers.getContainerFile('cntr_1', 'cfile_a2')).toBeUndefined();
      expect(await containers.getContainerFile('cntr_2', 'cfile_a')).toBeUndefined();
      expect(await containers.allContainerFiles('cntr_1')).toEqual([
        file('cfile_a', { bytes: 42 }),
        file('cfile_b', { source: 'assistant', bytes: 10 }),
        file('cfile_c'),
      ]);
      const first = await containers.listContainerFiles('cntr_1', { limit: 2, order: 'asc' });
      expect(first.data.map((entry) => entry.id)).toEqual(['cfile_a', 'cfile_b']);
      expect(first.hasMore).toBe(true);
      const rest = await containers.listContainerFiles('cntr_1', {
        limit: 2,
        order: 'asc',
        after: 'cfile_b',
      });
      expect(rest).toEqual({ data: [file('cfile_c')], hasMore: false });
      const newest = await containers.listContainerFiles('cntr_1', { limit: 1, order: 'desc' });
      expect(newest.data.map((entry) => entry.id)).toEqual(['cfile_c']);
      // Another container's file id is no cursor.
      expect(
        (await containers.listContainerFiles('cntr_1', { limit: 5, order: 'asc', after: 'cfile_z' })).data,
      ).toEqual([]);

      expect(await containers.deleteContainerFile('cntr_2', 'cfile_b')).toBe(false);
      expect(await containers.deleteContainerFile('cntr_1', 'cfile_b')).toBe(true);
      expect(await containers.deleteContainerFile('cntr_1', 'cfile_b')).toBe(false);
      expect((await containers.allContainerFiles('cntr_1')).map((entry) => entry.id)).toEqual([
        'cfile_a',
        'cfile_c',
      ]);
      expect(await containers.deleteContainer('proj_a', 'cntr_1')).toBe(true);
      expect(await containers.allContainerFiles('cntr_1')).toEqual([]);
      expect(await containers.allContainerFiles('cntr_2')).toEqual([
        file('cfile_z', { containerId: 'cntr_2' }),
      ]);
    });
  });
}
