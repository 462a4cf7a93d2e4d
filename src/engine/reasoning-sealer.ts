import { z } from 'zod';
import type { ProviderKind } from '../providers/model-provider.js';
import { createSealedBox } from './sealed-box.js';

/**
 * What a sealed reasoning item carries: the provider's reasoning state (for Anthropic, the thinking
 * block's signature or its redacted data) and the summary text exactly as the model wrote it.
 */
export interface ReasoningPayload {
  /** The provider kind that wrote the reasoning: only that kind can take it back. */
  readonly provider: ProviderKind;
  /** What the provider needs to see the reasoning again, as its adapter wrote it. */
  readonly state: string;
  /** The summary text the item showed, restored from here so an edited summary cannot break it. */
  readonly summary: string;
}

/**
 * Seals reasoning state into a reasoning item's `encrypted_content`, so stateless clients
 * (`store:false`, the whole history resent each turn) carry it without being able to read or forge
 * it — what OpenAI's own `encrypted_content` gives them. Keyed from the server key (the compaction
 * key), bound to the project.
 *
 * @example
 * const blob = sealer.seal(projectId, { provider: 'anthropic', state, summary });
 * sealer.open(projectId, blob); // the payload, or null when the blob is not this server's
 */
export interface ReasoningSealer {
  seal(projectId: string, payload: ReasoningPayload): string;
  /** The payload of a blob this server sealed for the project; null for anything else. */
  open(projectId: string, blob: string): ReasoningPayload | null;
  /** Whether the blob claims to be sealed reasoning (it carries this sealer's prefix). */
  isSealed(blob: string): boolean;
}

const payloadSchema = z.object({
  provider: z.enum(['openai', 'openai-chat', 'anthropic']),
  state: z.string(),
  summary: z.string(),
});

export function createReasoningSealer(serverKey: Uint8Array): ReasoningSealer {
  const box = createSealedBox(serverKey, 'berth reasoning v1', 'brsn1');
  return {
    seal: (projectId, payload) => box.seal(projectId, JSON.stringify(payload)),
    open(projectId, blob) {
      const plaintext = box.open(projectId, blob);
      if (plaintext === null) return null;
      try {
        const parsed = payloadSchema.safeParse(JSON.parse(plaintext));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
    isSealed: (blob) => blob.startsWith(box.prefix),
  };
}
