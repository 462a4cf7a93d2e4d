import { unixSeconds, type Clock } from '../clock.js';
import { notFound } from '../errors/berth-error.js';
import type { IdGenerator } from '../ids.js';
import type { ConversationStore, Page, PageRequest, StoredConversation, StoredItem } from '../store/store.js';
import type { CompactionSealer } from './compaction/compaction-sealer.js';
import { verifyNewCompactionItems } from './compaction/verify-compaction-items.js';
import type { InputItem } from './input-item-schema.js';
import { normalizeInputItems } from './normalize-input-items.js';

export interface ConversationServiceDependencies {
  readonly store: ConversationStore;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  /** Opens the compaction items clients add, so a forged or foreign one is refused before it is stored. */
  readonly compactionSealer: CompactionSealer;
}

/** A conversation's metadata: up to 16 string pairs, as OpenAI limits them. */
export type ConversationMetadata = Readonly<Record<string, string>>;

/**
 * The Conversations API's behaviour, independent of HTTP: conversations and their items. Items are
 * stored in OpenAI's full form with ids (`normalizeInputItems`); an unknown conversation or item, or
 * another project's, is a 404.
 *
 * @example
 * const conversation = await service.create(projectId, { items: [{ role: 'user', content: 'Hi' }], metadata: {} });
 * const page = await service.listItems(projectId, conversation.id, { limit: 20, order: 'desc' });
 */
export class ConversationService {
  readonly #dependencies: ConversationServiceDependencies;

  constructor(dependencies: ConversationServiceDependencies) {
    this.#dependencies = dependencies;
  }

  /** Creates a conversation holding `items` (at most 20, checked by the caller's schema). */
  async create(
    projectId: string,
    request: { readonly items: readonly InputItem[]; readonly metadata: ConversationMetadata },
  ): Promise<StoredConversation> {
    const { store, ids, clock, compactionSealer } = this.#dependencies;
    const conversation: StoredConversation = {
      id: ids.next('conv'),
      projectId,
      createdAt: unixSeconds(clock),
      metadata: request.metadata,
    };
    const items = normalizeInputItems(request.items, [], ids);
    verifyNewCompactionItems(items, projectId, compactionSealer, 'items');
    await store.createConversation(conversation, items);
    return conversation;
  }

  async get(projectId: string, id: string): Promise<StoredConversation> {
    const conversation = await this.#dependencies.store.getConversation(projectId, id);
    if (!conversation) throw notFound('conversation', id);
    return conversation;
  }

  /** Replaces the conversation's metadata. */
  async update(projectId: string, id: string, metadata: ConversationMetadata): Promise<StoredConversation> {
    const conversation = await this.#dependencies.store.updateConversationMetadata(projectId, id, metadata);
    if (!conversation) throw notFound('conversation', id);
    return conversation;
  }

  /** Deletes the conversation and its items. */
  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.#dependencies.store.deleteConversation(projectId, id)))
      throw notFound('conversation', id);
  }

  /**
   * Appends items; an `item_reference` may name an item already in the conversation. Returns the
   * items as stored.
   */
  async appendItems(projectId: string, id: string, input: readonly InputItem[]): Promise<StoredItem[]> {
    const { store, ids, compactionSealer } = this.#dependencies;
    const existing = await store.loadConversationItems(projectId, id);
    if (!existing) throw notFound('conversation', id);
    const items = normalizeInputItems(input, existing, ids);
    verifyNewCompactionItems(items, projectId, compactionSealer, 'items');
    if (!(await store.appendConversationItems(projectId, id, items))) throw notFound('conversation', id);
    return items;
  }

  async listItems(projectId: string, id: string, page: PageRequest): Promise<Page<StoredItem>> {
    const result = await this.#dependencies.store.listConversationItems(projectId, id, page);
    if (!result) throw notFound('conversation', id);
    return result;
  }

  async getItem(projectId: string, id: string, itemId: string): Promise<StoredItem> {
    const item = await this.#dependencies.store.getConversationItem(projectId, id, itemId);
    if (!item) throw notFound('conversation item', itemId);
    return item;
  }

  /** Deletes one item; returns the conversation it was in, as OpenAI answers. */
  async deleteItem(projectId: string, id: string, itemId: string): Promise<StoredConversation> {
    if (!(await this.#dependencies.store.deleteConversationItem(projectId, id, itemId))) {
      throw notFound('conversation item', itemId);
    }
    return this.get(projectId, id);
  }
}
