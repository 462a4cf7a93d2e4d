import type { Page, PageRequest } from './page.js';
import type { StoredItem } from './stored-item.js';

/**
 * Conversations and their items, oldest first. Every read and write is scoped by `projectId`: another
 * project's conversation is indistinguishable from none. (A response's write may append items too:
 * see `ResponseStore.writeResponse`.)
 */
export interface ConversationStore {
  /** Records a new conversation with its first items. */
  createConversation(conversation: StoredConversation, items: readonly StoredItem[]): Promise<void>;
  /** The conversation, or undefined (unknown id, or another project's). */
  getConversation(projectId: string, id: string): Promise<StoredConversation | undefined>;
  /** Replaces the metadata; the updated conversation, or undefined when it is unknown. */
  updateConversationMetadata(
    projectId: string,
    id: string,
    metadata: Readonly<Record<string, string>>,
  ): Promise<StoredConversation | undefined>;
  /** Deletes a conversation with its items; false when there was nothing to delete. */
  deleteConversation(projectId: string, id: string): Promise<boolean>;
  /** Appends items; false when the conversation is unknown. */
  appendConversationItems(projectId: string, id: string, items: readonly StoredItem[]): Promise<boolean>;
  /** All of a conversation's items, oldest first. Undefined if the conversation is unknown. */
  loadConversationItems(projectId: string, id: string): Promise<readonly StoredItem[] | undefined>;
  /** One page of a conversation's items; undefined if the conversation is unknown. */
  listConversationItems(
    projectId: string,
    id: string,
    page: PageRequest,
  ): Promise<Page<StoredItem> | undefined>;
  /** One item of a conversation, or undefined (unknown conversation or item). */
  getConversationItem(projectId: string, id: string, itemId: string): Promise<StoredItem | undefined>;
  /** Deletes one item; false when the conversation or the item is unknown. */
  deleteConversationItem(projectId: string, id: string, itemId: string): Promise<boolean>;
}

export interface StoredConversation {
  /** `conv_…`. */
  readonly id: string;
  readonly projectId: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Up to 16 string pairs the client set. */
  readonly metadata: Readonly<Record<string, string>>;
}
