import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const keyBytes = 32;
/** GCM's standard 96-bit nonce; random per blob, so a key can seal about 2^32 blobs safely. */
const ivBytes = 12;
const tagBytes = 16;

/**
 * Text sealed for one project with AES-256-GCM, as `<version>.<base64url(iv ‖ ciphertext ‖ tag)>`.
 * Only this server can read a blob or make one that opens.
 */
export interface SealedBox {
  /** The blob prefix, `<version>.`: what tells this box's blobs apart from any other opaque string. */
  readonly prefix: string;
  seal(projectId: string, plaintext: string): string;
  /**
   * The plaintext of a blob this box sealed for the same project under the same server key, or null
   * for anything else (changed, truncated, another project's or another server's): GCM cannot tell
   * those apart, and should not.
   */
  open(projectId: string, blob: string): string | null;
}

/**
 * A sealed box under a key derived from the server key for one purpose (HKDF with the purpose as its
 * label), so boxes for different purposes never share a key even though they share the secret. The
 * associated data binds the version and the project: a blob moved to another project, or relabelled
 * with another version, fails authentication exactly like a tampered one.
 */
export function createSealedBox(serverKey: Uint8Array, purpose: string, version: string): SealedBox {
  if (serverKey.length !== keyBytes) {
    throw new Error(`The server key must be ${keyBytes} bytes, not ${serverKey.length}.`);
  }
  const key = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), purpose, keyBytes));
  const prefix = `${version}.`;
  return {
    prefix,
    seal(projectId, plaintext) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
      cipher.setAAD(associatedData(version, projectId));
      const sealed = Buffer.concat([
        iv,
        cipher.update(plaintext, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return prefix + sealed.toString('base64url');
    },
    open(projectId, blob) {
      if (!blob.startsWith(prefix)) return null;
      const body = blob.slice(prefix.length);
      const sealed = Buffer.from(body, 'base64url');
      // Node's base64url decoder skips characters outside the alphabet; re-encoding catches that.
      if (sealed.length < ivBytes + tagBytes || sealed.toString('base64url') !== body) return null;
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, ivBytes), {
        authTagLength: tagBytes,
      });
      decipher.setAAD(associatedData(version, projectId));
      decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
      try {
        const bytes = Buffer.concat([
          decipher.update(sealed.subarray(ivBytes, sealed.length - tagBytes)),
          decipher.final(),
        ]);
        return bytes.toString('utf8');
      } catch {
        return null;
      }
    },
  };
}

/** Makes a random server key of the right size (for a new data directory, and for tests). */
export function generateServerKey(): Buffer {
  return randomBytes(keyBytes);
}

export const serverKeyBytes = keyBytes;

/** The version and the project, length-prefixed so no two (version, project) pairs encode alike. */
function associatedData(version: string, projectId: string): Buffer {
  const project = Buffer.from(projectId, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(project.length);
  return Buffer.concat([Buffer.from(`${version}\0`, 'utf8'), length, project]);
}
