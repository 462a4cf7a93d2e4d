import { createHash, randomBytes } from 'node:crypto';
import { BerthError } from '../errors/berth-error.js';
import type { Store } from '../store/store.js';

/** The project every request belongs to when the server runs without keys. */
export const defaultProjectId = 'default';

/** The prefix of Berth's API keys, so a leaked key is recognisable by secret scanners. */
export const apiKeyPrefix = 'sk-berth-';

/**
 * Keys are 32 random bytes, so a single SHA-256 is enough to store them safely: a slow password hash
 * defends low-entropy secrets, which these are not, and would cost every request milliseconds.
 */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKeySecret(): string {
  return `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * Creates an API key: a new secret, stored only as its hash and a recognisable prefix. Returns the
 * secret, which is never stored and so can be shown only now.
 */
export async function issueApiKey(
  store: Store,
  key: { readonly id: string; readonly name: string; readonly projectId: string; readonly createdAt: number },
): Promise<string> {
  const secret = generateApiKeySecret();
  await store.createApiKey({
    ...key,
    hash: hashApiKey(secret),
    prefix: secret.slice(0, 14),
    revokedAt: null,
  });
  return secret;
}

export interface Authenticator {
  /** The project of the request's key; throws a 401 BerthError when the request may not proceed. */
  authenticate(authorization: string | undefined): Promise<string>;
}

/**
 * With keys, a request needs one. Without any key, the server accepts every request, but only while it
 * listens on a loopback address (`keylessAllowed`): nobody off the machine can reach it then.
 */
/** How long a "no key exists yet" answer is trusted before the store is asked again. */
const keylessRecheckMs = 1_000;

export function createAuthenticator(
  store: Store,
  keylessAllowed: boolean,
  now: () => number = Date.now,
): Authenticator {
  // Keys are never deleted, so once one exists keyless mode is over for good: stop counting.
  let keysExist = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return {
    async authenticate(authorization) {
      const secret = bearerToken(authorization);
      if (secret !== undefined) {
        const key = await store.findApiKeyByHash(hashApiKey(secret));
        if (key) return key.projectId;
      }
      // Keys may be created by the CLI while the server runs: they are counted again at most a second
      // after the last count, so keyless mode ends within a second of the first key. Revoked keys
      // count too, so revoking the last key locks the server instead of opening it.
      if (keylessAllowed && !keysExist) {
        if (now() - checkedAt >= keylessRecheckMs) {
          keysExist = (await store.countApiKeys()) > 0;
          checkedAt = now();
        }
        if (!keysExist) return defaultProjectId;
      }
      if (secret === undefined) {
        throw new BerthError(
          'missing_api_key',
          "You didn't provide an API key. Provide it in an Authorization header: 'Authorization: Bearer YOUR_KEY'.",
          { wireCode: 'missing_api_key' },
        );
      }
      throw new BerthError('invalid_api_key', 'Incorrect API key provided.', { wireCode: 'invalid_api_key' });
    },
  };
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}
