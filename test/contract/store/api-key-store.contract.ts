import { describe, expect, it } from 'vitest';
import type { ApiKeyStore, StoredApiKey } from '../../../src/store/store.js';
import { freshStores, type OpenStores } from './open-stores.js';

/** The behaviour every `ApiKeyStore` must have. */
export function describeApiKeyStoreContract(
  backend: string,
  open: OpenStores<{ readonly apiKeys: ApiKeyStore }>,
): void {
  describe(`ApiKeyStore contract: ${backend}`, () => {
    const stores = freshStores(open);

    it('stores API keys by hash and revokes them by id', async () => {
      const { apiKeys } = stores();
      const key: StoredApiKey = {
        id: 'key_1',
        name: 'ci',
        projectId: 'proj_a',
        hash: 'h1',
        prefix: 'sk-berth-ab',
        createdAt: 1,
        revokedAt: null,
      };
      const laptop: StoredApiKey = { ...key, id: 'key_2', name: 'laptop', projectId: 'proj_b', hash: 'h2' };
      await apiKeys.createApiKey(key);
      await apiKeys.createApiKey(laptop);
      expect(await apiKeys.countApiKeys()).toBe(2);
      expect(await apiKeys.findApiKeyByHash('h1')).toEqual(key);
      expect(await apiKeys.findApiKeyByHash('h2')).toEqual(laptop);
      expect(await apiKeys.findApiKeyByHash('h3')).toBeUndefined();
      expect(await apiKeys.listApiKeys()).toEqual([key, laptop]);
      // A name is not an id: only the service resolves names, and only when asked to.
      expect(await apiKeys.revokeApiKey('ci', 5)).toBe(false);
      expect(await apiKeys.revokeApiKey('key_1', 5)).toBe(true);
      expect(await apiKeys.revokeApiKey('key_2', 5)).toBe(true);
      expect(await apiKeys.revokeApiKey('key_2', 6)).toBe(false);
      expect(await apiKeys.revokeApiKey('nobody', 6)).toBe(false);
      expect(await apiKeys.findApiKeyByHash('h1')).toBeUndefined();
      // Revoked keys still count: a server that had keys never falls back to keyless mode.
      expect(await apiKeys.countApiKeys()).toBe(2);
      expect(await apiKeys.listApiKeys()).toEqual([
        { ...key, revokedAt: 5 },
        { ...laptop, revokedAt: 5 },
      ]);
    });
  });
}
