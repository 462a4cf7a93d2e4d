import { unixSeconds, type Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { ApiKeyStore, StoredApiKey } from '../store/api-key-store.js';
import { hashApiKey } from './api-key-secret.js';
import { mintApiKey } from './issue-api-key.js';

export interface ApiKeyServiceOptions {
  /** Where keys are kept (hashes only). */
  readonly store: ApiKeyStore;
  /** Makes the keys' `key_…` ids. */
  readonly ids: IdGenerator;
  /** Times creation and revocation. */
  readonly clock: Clock;
}

/** A key just created, with the secret that is shown only now. */
export interface CreatedApiKey {
  /** The key as stored. */
  readonly key: StoredApiKey;
  /** The secret to send as `Authorization: Bearer …`; never stored. */
  readonly secret: string;
}

/**
 * API keys, independent of HTTP and of the CLI: each key gives access to one project; its secret is
 * shown once and stored only as a hash.
 *
 * @example
 * const { secret } = await keys.create({ name: 'ci', projectId: 'default' });
 * const key = await keys.authenticate(secret); // the key, or undefined if unknown or revoked
 */
export class ApiKeyService {
  readonly #options: ApiKeyServiceOptions;

  constructor(options: ApiKeyServiceOptions) {
    this.#options = options;
  }

  /** Creates a key for `projectId`; returns it with its secret. */
  async create(request: { readonly name: string; readonly projectId: string }): Promise<CreatedApiKey> {
    const { store, ids, clock } = this.#options;
    const { record, secret } = mintApiKey({
      id: ids.next('key'),
      name: request.name,
      projectId: request.projectId,
      createdAt: unixSeconds(clock),
    });
    await store.createApiKey(record);
    return { key: record, secret };
  }

  /** Every key, revoked ones included, oldest first (never their secrets). */
  list(): Promise<readonly StoredApiKey[]> {
    return this.#options.store.listApiKeys();
  }

  /** Revokes a key by id or name; false when no unrevoked key matched. */
  revoke(idOrName: string): Promise<boolean> {
    return this.#options.store.revokeApiKey(idOrName, unixSeconds(this.#options.clock));
  }

  /** The unrevoked key whose secret this is, or undefined. */
  authenticate(secret: string): Promise<StoredApiKey | undefined> {
    return this.#options.store.findApiKeyByHash(hashApiKey(secret));
  }

  /**
   * How many keys were ever created, revoked ones included: a server that ever had a key never falls
   * back to keyless mode.
   */
  count(): Promise<number> {
    return this.#options.store.countApiKeys();
  }
}
