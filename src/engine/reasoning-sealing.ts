import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { BerthError } from '../errors/berth-error.js';
import type { ModelEvent, ProviderKind } from '../providers/model-provider.js';
import type { StoredItem } from '../store/store.js';
import type { ReasoningSealer } from './reasoning-sealer.js';

/**
 * Seals the reasoning state a provider marks `sealState` as its turn streams: each reasoning part's
 * summary text is gathered from its deltas, and at its end the state and that text are sealed into
 * the item's `encrypted_content`. State the upstream already encrypts (OpenAI's) is left as it is.
 */
export class ReasoningSealing {
  readonly #summaries = new Map<string, string>();
  readonly #sealer: ReasoningSealer;
  readonly #projectId: string;
  readonly #provider: ProviderKind;

  constructor(sealer: ReasoningSealer, projectId: string, provider: ProviderKind) {
    this.#sealer = sealer;
    this.#projectId = projectId;
    this.#provider = provider;
  }

  apply(event: ModelEvent): ModelEvent {
    if (event.type === 'reasoning-start') this.#summaries.set(event.id, '');
    else if (event.type === 'reasoning-delta') {
      this.#summaries.set(event.id, (this.#summaries.get(event.id) ?? '') + event.delta);
    } else if (event.type === 'reasoning-end') {
      const summary = this.#summaries.get(event.id) ?? '';
      this.#summaries.delete(event.id);
      if (event.sealState && event.encryptedContent) {
        const state = event.encryptedContent;
        const sealed = this.#sealer.seal(this.#projectId, { provider: this.#provider, state, summary });
        return { type: 'reasoning-end', id: event.id, encryptedContent: sealed };
      }
    }
    return event;
  }
}

/**
 * Checks every sealed reasoning item a client sends (`input[i].encrypted_content`) before anything
 * runs: one this server did not seal for this project — changed, forged, another project's — is a 400.
 */
export function verifySealedReasoning(
  inputItems: readonly StoredItem[],
  projectId: string,
  sealer: ReasoningSealer,
): void {
  inputItems.forEach(({ item }, index) => {
    if (item.type !== 'reasoning' || typeof item.encrypted_content !== 'string') return;
    if (!sealer.isSealed(item.encrypted_content)) return;
    if (sealer.open(projectId, item.encrypted_content) === null) {
      throw new BerthError(
        'invalid_value',
        "The reasoning item's encrypted_content could not be verified: it was changed or truncated, or it " +
          'was made for another project or by a server with a different key. Pass reasoning items back ' +
          'exactly as Berth returned them.',
        { param: `input[${index}].encrypted_content` },
      );
    }
  });
}

/**
 * The context with sealed reasoning opened for the provider about to read it: reasoning its own kind
 * wrote gets its state and summary back exactly as the model produced them; reasoning from another
 * kind (or that no longer opens, after a key change) loses its `encrypted_content`, so the adapter
 * leaves it out rather than send state that upstream cannot verify.
 */
export function openSealedReasoning(
  items: readonly ResponseInputItem[],
  sealer: ReasoningSealer,
  projectId: string,
  provider: ProviderKind,
): ResponseInputItem[] {
  return items.map((item): ResponseInputItem => {
    if (item.type !== 'reasoning' || !item.encrypted_content || !sealer.isSealed(item.encrypted_content)) {
      return item;
    }
    const payload = sealer.open(projectId, item.encrypted_content);
    const { encrypted_content: _sealed, ...rest } = item;
    if (payload === null || payload.provider !== provider) return rest;
    return {
      ...rest,
      encrypted_content: payload.state,
      summary: payload.summary === '' ? [] : [{ type: 'summary_text' as const, text: payload.summary }],
    };
  });
}
