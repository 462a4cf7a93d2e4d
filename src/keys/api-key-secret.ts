import { createHash, randomBytes } from 'node:crypto';

/** The prefix of Berth's API keys, so a leaked key is recognisable by secret scanners. */
export const apiKeyPrefix = 'sk-berth-';

/** How many leading characters of a secret are kept to recognise the key (`sk-berth-` and five more). */
const displayPrefixLength = 14;

/** A new secret: the prefix and 32 random bytes, base64url. */
export function generateApiKeySecret(): string {
  return `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * Keys are 32 random bytes, so a single SHA-256 is enough to store them safely: a slow password hash
 * defends low-entropy secrets, which these are not, and would cost every request milliseconds.
 */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The part of a secret that is stored in the clear, to recognise a key in `keys list`. */
export function apiKeyDisplayPrefix(secret: string): string {
  return secret.slice(0, displayPrefixLength);
}
