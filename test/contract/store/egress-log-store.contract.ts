import { describe, expect, it } from 'vitest';
import type {
  ContainerStore,
  EgressLogEntry,
  EgressLogStore,
  Page,
  StoredContainer,
} from '../../../src/store/store.js';
import { freshStores, type OpenStores } from './open-stores.js';

/** The behaviour every `EgressLogStore` must have, and that a container's delete takes its log along. */
export function describeEgressLogStoreContract(
  backend: string,
  open: OpenStores<{ readonly egressLog: EgressLogStore; readonly containers: ContainerStore }>,
): void {
  describe(`EgressLogStore contract: ${backend}`, () => {
    const stores = freshStores(open);
    const entry = (id: string, overrides: Partial<EgressLogEntry> = {}): EgressLogEntry => ({
      id,
      projectId: 'proj_a',
      containerId: 'cntr_1',
      responseId: 'resp_1',
      callId: 'call_1',
      at: 1_000,
      method: 'CONNECT',
      host: 'pypi.org',
      port: 443,
      allowed: true,
      reason: null,
      address: '151.101.0.223',
      status: null,
      bytesOut: 517,
      bytesIn: 40_960,
      intercepted: false,
      ...overrides,
    });
    const ids = (page: Page<EgressLogEntry>) => page.data.map((row) => row.id);

    it("lists a container's connections in the order they were asked for, whatever order they ended in", async () => {
      const { egressLog } = stores();
      const refused = entry('egr_c', {
        at: 1_200,
        method: 'GET',
        host: '169.254.169.254',
        port: 80,
        allowed: false,
        reason: '169.254.169.254 is a link-local address',
        address: null,
        status: 403,
        bytesOut: 0,
        bytesIn: 0,
        responseId: null,
        callId: null,
      });
      // Recorded as they end: the long download asked for first ends last.
      await egressLog.recordEgress(entry('egr_b', { at: 1_100, callId: 'call_2', intercepted: true }));
      await egressLog.recordEgress(refused);
      await egressLog.recordEgress(entry('egr_a', { at: 900 }));
      await egressLog.recordEgress(entry('egr_d', { at: 1_200 }));
      await egressLog.recordEgress(entry('egr_other_container', { containerId: 'cntr_2' }));
      await egressLog.recordEgress(entry('egr_other_project', { projectId: 'proj_b' }));

      const all = await egressLog.listEgress('proj_a', 'cntr_1', { limit: 10, order: 'asc' });
      expect(ids(all)).toEqual(['egr_a', 'egr_b', 'egr_c', 'egr_d']);
      expect(all.hasMore).toBe(false);
      expect(all.data[2]).toEqual(refused);
      expect(all.data[1]).toEqual(entry('egr_b', { at: 1_100, callId: 'call_2', intercepted: true }));

      const first = await egressLog.listEgress('proj_a', 'cntr_1', { limit: 2, order: 'asc' });
      expect(ids(first)).toEqual(['egr_a', 'egr_b']);
      expect(first.hasMore).toBe(true);
      const rest = await egressLog.listEgress('proj_a', 'cntr_1', { limit: 2, order: 'asc', after: 'egr_b' });
      expect(ids(rest)).toEqual(['egr_c', 'egr_d']);
      expect(rest.hasMore).toBe(false);
      const newest = await egressLog.listEgress('proj_a', 'cntr_1', { limit: 3, order: 'desc' });
      expect(ids(newest)).toEqual(['egr_d', 'egr_c', 'egr_b']);
      const older = await egressLog.listEgress('proj_a', 'cntr_1', {
        limit: 3,
        order: 'desc',
        after: 'egr_b',
      });
      expect(ids(older)).toEqual(['egr_a']);

      // One shell call's connections only.
      const ofCall = await egressLog.listEgress('proj_a', 'cntr_1', {
        limit: 10,
        order: 'asc',
        callId: 'call_1',
      });
      expect(ids(ofCall)).toEqual(['egr_a', 'egr_d']);

      // Another project's or container's rows are neither listed nor a cursor.
      expect(ids(await egressLog.listEgress('proj_b', 'cntr_1', { limit: 10, order: 'asc' }))).toEqual([
        'egr_other_project',
      ]);
      const foreign = { limit: 10, order: 'asc' as const, after: 'egr_other_container' };
      expect(ids(await egressLog.listEgress('proj_a', 'cntr_1', foreign))).toEqual([]);
    });

    it("goes with its container when the container's record is deleted", async () => {
      const { egressLog, containers } = stores();
      const container: StoredContainer = {
        id: 'cntr_1',
        projectId: 'proj_a',
        name: 'work',
        status: 'running',
        createdAt: 100,
        lastActiveAt: 100,
        expiresAfterMinutes: 20,
        memoryLimit: '1g',
        networkPolicy: { type: 'allowlist', allowed_domains: ['pypi.org'] },
        image: 'host',
        skills: [],
      };
      await containers.createContainer(container);
      await containers.createContainer({ ...container, id: 'cntr_2' });
      await egressLog.recordEgress(entry('egr_1'));
      await egressLog.recordEgress(entry('egr_2', { containerId: 'cntr_2' }));
      await containers.deleteContainer('proj_a', 'cntr_1');
      expect((await egressLog.listEgress('proj_a', 'cntr_1', { limit: 10, order: 'asc' })).data).toEqual([]);
      expect(ids(await egressLog.listEgress('proj_a', 'cntr_2', { limit: 10, order: 'asc' }))).toEqual([
        'egr_2',
      ]);
    });
  });
}
