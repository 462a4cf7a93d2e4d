import { z } from 'zod';
import { BerthError } from '../../errors/berth-error.js';
import { createSealedBox, generateServerKey, serverKeyBytes } from '../sealed-box.js';

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

/** Lenient on nothing: the payload is authenticated, so a mismatch means a bug, not an attacker. */
const payloadSchema = z.object({ summary: z.string(), model: z.string(), created_at: z.number() });

/**
 * A sealer with AES-256-GCM (`createSealedBox`) under a key derived from the server's compaction key
 * for this purpose alone, each blob bound to its project.
 */
export function createCompactionSealer(serverKey: Uint8Array): CompactionSealer {
  const box = createSealedBox(serverKey, 'berth compaction v1', formatVersion);
  return {
    seal(projectId, payload) {
      const plaintext = JSON.stringify({
        summary: payload.summary,
        model: payload.model,
        created_at: payload.createdAt,
      });
      return box.seal(projectId, plaintext);
    },
    open(projectId, blob, param) {
      if (!blob.startsWith(box.prefix)) {
        const looksVersioned = /^bcmp\d+\./.test(blob);
        throw new BerthError(
          'invalid_value',
          looksVersioned
            ? `The compaction item's encrypted_content uses a format this server does not know (it reads ${formatVersion}).`
            : "The compaction item's encrypted_content was not made by this server: pass back the compaction item exactly as Berth returned it.",
          { param },
        );
      }
      const plaintext = box.open(projectId, blob);
      if (plaintext === null) throw unverifiable(param);
      let parsed;
      try {
        parsed = payloadSchema.safeParse(JSON.parse(plaintext));
      } catch {
        throw unverifiable(param);
      }
      if (!parsed.success) throw unverifiable(param);
      return { summary: parsed.data.summary, model: parsed.data.model, createdAt: parsed.data.created_at };
    },
  };
}

/** Makes a random server key of the right size (for a new data directory, and for tests). */
export const generateCompactionKey = generateServerKey;

export const compactionKeyBytes = serverKeyBytes;

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
