import type { ApiKeyStore, StoredApiKey } from '../store/api-key-store.js';
import { apiKeyDisplayPrefix, generateApiKeySecret, hashApiKey } from './api-key-secret.js';

/** The key's record before its secret exists. */
export interface ApiKeyToIssue {
  /** `key_…`. */
  readonly id: string;
  /** A name to recognise and revoke the key by. */
  readonly name: string;
  /** The project the key gives access to. */
  readonly projectId: string;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** A key's record with a new secret: what is stored, and the secret that is not. */
export function mintApiKey(key: ApiKeyToIssue): { readonly record: StoredApiKey; readonly secret: string } {
  const secret = generateApiKeySecret();
  return {
    record: { ...key, hash: hashApiKey(secret), prefix: apiKeyDisplayPrefix(secret), revokedAt: null },
    secret,
  };
}

/**
 * Creates an API key: a new secret, stored only as its hash and a recognisable prefix. Returns the
 * secret, which is never stored and so can be shown only now. (`ApiKeyService.create` is the usual
 * entry; this takes the id and time from the caller.)
 */
export async function issueApiKey(store: ApiKeyStore, key: ApiKeyToIssue): Promise<string> {
  const { record, secret } = mintApiKey(key);
  await store.createApiKey(record);
  return secret;
}
