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

/** What `ApiKeyService.revoke` did: the keys it revoked, or (none) why not. */
export interface RevokeResult {
  readonly revoked: readonly StoredApiKey[];
  readonly problem?: string;
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

  /**
   * Revokes the active key `reference` names: its id, or the start of its secret as `keys list` shows
   * it (with or without the `…`). A name is ambiguous — several keys may share it, and revoking every
   * one of them by a slip of the keyboard locks out whoever uses the others — so a name revokes only
   * with `allNamed`, and then every active key of that name. Answers the keys revoked, or why none was.
   */
  async revoke(reference: string, options: { readonly allNamed?: boolean } = {}): Promise<RevokeResult> {
    const active = (await this.list()).filter((key) => key.revokedAt === null);
    const shownPrefix = reference.replace(/…$/, '');
    const matched = options.allNamed
      ? active.filter((key) => key.name === reference)
      : active.filter(
          (key) => key.id === reference || (shownPrefix.length > 0 && key.prefix === shownPrefix),
        );
    if (matched.length === 0) {
      const named = active.filter((key) => key.name === reference).length;
      return {
        revoked: [],
        problem:
          named > 0 && !options.allNamed
            ? `'${reference}' is the name of ${named} active key${named > 1 ? 's' : ''}: revoke one by its id (see \`berth keys list\`), or every key of that name with --all`
            : `no active key ${options.allNamed ? 'named' : 'with id or prefix'} '${reference}'`,
      };
    }
    if (matched.length > 1 && !options.allNamed) {
      return { revoked: [], problem: `'${reference}' matches ${matched.length} keys; revoke one by its id` };
    }
    const revokedAt = unixSeconds(this.#options.clock);
    const revoked: StoredApiKey[] = [];
    for (const key of matched) {
      if (await this.#options.store.revokeApiKey(key.id, revokedAt)) revoked.push({ ...key, revokedAt });
    }
    return { revoked };
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
