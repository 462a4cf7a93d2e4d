import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { describeApiKeyStoreContract } from './api-key-store.contract.js';
import { describeContainerStoreContract } from './container-store.contract.js';
import { describeConversationStoreContract } from './conversation-store.contract.js';
import { describeEgressLogStoreContract } from './egress-log-store.contract.js';
import { describeFileStoreContract } from './file-store.contract.js';
import type { OpenStores } from './open-stores.js';
import { describeResponseStoreContract } from './response-store.contract.js';
import { describeSkillStoreContract } from './skill-store.contract.js';
import { describeToolCallStoreContract } from './tool-call-store.contract.js';

/**
 * Every aggregate's contract against one backend. Each backend's test calls this with a factory that
 * opens a fresh, empty store; a backend can also run one aggregate's suite alone.
 */
export function describeStoreContracts(backend: string, open: OpenStores<Store>): void {
  describeResponseStoreContract(backend, open);
  describeConversationStoreContract(backend, open);
  describeFileStoreContract(backend, open);
  describeContainerStoreContract(backend, open);
  describeSkillStoreContract(backend, open);
  describeApiKeyStoreContract(backend, open);
  describeToolCallStoreContract(backend, open);
  describeEgressLogStoreContract(backend, open);
  describe(`${backend} store readiness`, () => {
    it('reports an open store writable, again and again, and a closed one not', async () => {
      const store = await open();
      await expect(store.checkWritable()).resolves.toBeUndefined();
      await expect(store.checkWritable()).resolves.toBeUndefined();
      await store.close();
      await expect(store.checkWritable()).rejects.toThrow();
    });
  });
}
