/**
 * API keys: each gives access to one project. Only a hash of the secret is stored (see
 * `keys/api-key-service.ts`, which makes keys and looks them up).
 */
export interface ApiKeyStore {
  /** Records a new key. */
  createApiKey(key: StoredApiKey): Promise<void>;
  /** The unrevoked key with this hash, or undefined. */
  findApiKeyByHash(hash: string): Promise<StoredApiKey | undefined>;
  /** Every key, revoked ones included, oldest first. */
  listApiKeys(): Promise<readonly StoredApiKey[]>;
  /** Revokes the key with this id; false when there is no such unrevoked key. */
  revokeApiKey(id: string, revokedAt: number): Promise<boolean>;
  /**
   * Number of keys ever created, revoked ones included: keyless mode is for a server that never had a
   * key, so revoking the last key locks the server rather than opening it.
   */
  countApiKeys(): Promise<number>;
}

export interface StoredApiKey {
  /** `key_…`. */
  readonly id: string;
  /** The name given at creation, to revoke the key by. */
  readonly name: string;
  /** The project every request made with the key belongs to. */
  readonly projectId: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  readonly hash: string;
  /** The first characters of the secret, to recognise a key in `keys list`. */
  readonly prefix: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds, or null while the key works. */
  readonly revokedAt: number | null;
}
