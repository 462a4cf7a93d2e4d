import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BerthError } from '../../errors/berth-error.js';

/** What a compaction item carries, sealed: the summary a model sees in place of the turns it replaced. */
export interface CompactionPayload {
  /** The summary of the earlier conversation, as the summarising model wrote it. */
  readonly summary: string;
  /** The model (as the client named it) that wrote the summary. */
  readonly model: string;
  /** When the compaction was made, in Unix seconds. */
  readonly createdAt: number;
}

/**
 * Seals compaction summaries into the opaque `encrypted_content` OpenAI's compaction items carry, and
 * opens them again when a client sends one back. Only Berth reads the payload; clients must treat it as
 * opaque, as they do OpenAI's.
 *
 * @example
 * const blob = sealer.seal(projectId, { summary, model, createdAt });
 * sealer.open(projectId, blob, 'input[3].encrypted_content').summary;
 */
export interface CompactionSealer {
  /** Encrypts and authenticates a payload for one project. */
  seal(projectId: string, payload: CompactionPayload): string;
  /**
   * Opens a blob sealed by `seal` for the same project with the same server key. Anything else — a
   * changed, truncated or made-up blob, another project's or another server's — is a 400
   * `invalid_value` naming `param`.
   */
  open(projectId: string, blob: string, param: string): CompactionPayload;
}

/** The format version, written at the front of every blob and bound into its authentication. */
const formatVersion = 'bcmp1';
const blobPrefix = `${formatVersion}.`;
const keyBytes = 32;
/** GCM's standard 96-bit nonce; random per blob, so a key can seal about 2^32 blobs safely. */
const ivBytes = 12;
const tagBytes = 16;

/** Lenient on nothing: the payload is authenticated, so a mismatch means a bug, not an attacker. */
const payloadSchema = z.object({ summary: z.string(), model: z.string(), created_at: z.number() });

/**
 * A sealer with AES-256-GCM under a key derived from the server's compaction key. The derivation (HKDF
 * with a purpose label) keeps this key apart from anything else the same secret may one day protect.
 * The associated data binds the format version and the project: a blob moved to another project, or
 * relabelled with another version, fails authentication exactly like a tampered one.
 */
export function createCompactionSealer(serverKey: Uint8Array): CompactionSealer {
  if (serverKey.length !== keyBytes) {
    throw new Error(`The compaction key must be ${keyBytes} bytes, not ${serverKey.length}.`);
  }
  const key = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), 'berth compaction v1', keyBytes));
  return {
    seal(projectId, payload) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
      cipher.setAAD(associatedData(projectId));
      const plaintext = JSON.stringify({
        summary: payload.summary,
        model: payload.model,
        created_at: payload.createdAt,
      });
      const sealed = Buffer.concat([
        iv,
        cipher.update(plaintext, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return blobPrefix + sealed.toString('base64url');
    },
    open(projectId, blob, param) {
      if (!blob.startsWith(blobPrefix)) {
        const looksVersioned = /^bcmp\d+\./.test(blob);
        throw new BerthError(
          'invalid_value',
          looksVersioned
            ? `The compaction item's encrypted_content uses a format this server does not know (it reads ${formatVersion}).`
            : "The compaction item's encrypted_content was not made by this server: pass back the compaction item exactly as Berth returned it.",
          { param },
        );
      }
      const body = blob.slice(blobPrefix.length);
      const sealed = Buffer.from(body, 'base64url');
      // Node's base64url decoder skips characters outside the alphabet; re-encoding catches that.
      if (sealed.length < ivBytes + tagBytes || sealed.toString('base64url') !== body) {
        throw unverifiable(param);
      }
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, ivBytes), {
        authTagLength: tagBytes,
      });
      decipher.setAAD(associatedData(projectId));
      decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
      let plaintext: unknown;
      try {
        const bytes = Buffer.concat([
          decipher.update(sealed.subarray(ivBytes, sealed.length - tagBytes)),
          decipher.final(),
        ]);
        plaintext = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw unverifiable(param);
      }
      const parsed = payloadSchema.safeParse(plaintext);
      if (!parsed.success) throw unverifiable(param);
      return { summary: parsed.data.summary, model: parsed.data.model, createdAt: parsed.data.created_at };
    },
  };
}

/** Makes a random server key of the right size (for a new data directory, and for tests). */
export function generateCompactionKey(): Buffer {
  return randomBytes(keyBytes);
}

export const compactionKeyBytes = keyBytes;

/** The version and the project, length-prefixed so no two (version, project) pairs encode alike. */
function associatedData(projectId: string): Buffer {
  const project = Buffer.from(projectId, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(project.length);
  return Buffer.concat([Buffer.from(`${formatVersion}\0`, 'utf8'), length, project]);
}

/**
 * GCM cannot tell a changed blob from one sealed for another project or under another key, and
 * should not: the message lists what may have happened.
 */
function unverifiable(param: string): BerthError {
  return new BerthError(
    'invalid_value',
    "The compaction item's encrypted_content could not be verified: it was changed or truncated, " +
      'or it was made for another project or by a server with a different compaction key.',
    { param },
  );
}
