import { BerthError } from '../errors/berth-error.js';
import type { ApiKeyService } from '../keys/api-key-service.js';
import { defaultProjectId } from '../keys/default-project-id.js';

export interface Authenticator {
  /** The project of the request's key; throws a 401 BerthError when the request may not proceed. */
  authenticate(authorization: string | undefined): Promise<string>;
}

/** How long a "no key exists yet" answer is trusted before the keys are counted again. */
const keylessRecheckMs = 1_000;

/**
 * What the `onRequest` hook asks of each request. With keys, a request needs one. Without any key, the
 * server accepts every request, but only while it listens on a loopback address (`keylessAllowed`):
 * nobody off the machine can reach it then.
 */
export function createAuthenticator(
  keys: ApiKeyService,
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
        const key = await keys.authenticate(secret);
        if (key) return key.projectId;
      }
      // Keys may be created by the CLI while the server runs: they are counted again at most a second
      // after the last count, so keyless mode ends within a second of the first key. Revoked keys
      // count too, so revoking the last key locks the server instead of opening it.
      if (keylessAllowed && !keysExist) {
        if (now() - checkedAt >= keylessRecheckMs) {
          keysExist = (await keys.count()) > 0;
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
