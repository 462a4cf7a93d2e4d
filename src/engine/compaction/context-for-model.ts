import type { ResponseInputItem } from 'openai/resources/responses/responses';
import type { StoredItem } from '../../store/store.js';
import type { CompactionSealer } from './compaction-sealer.js';

/** Opens a compaction item's `encrypted_content` and returns the summary it carries. */
export type CompactionSummaryReader = (encryptedContent: string) => string;

/** Heads the message that stands in for a compaction item, so the model knows what it is reading. */
export const compactionSummaryLabel =
  '[Summary of the earlier conversation] The conversation was compacted: the turns before this point ' +
  'were replaced by the summary below, written to let the work carry on. The user messages above are ' +
  'kept as they were sent.';

/**
 * The context as a model must see it. Providers understand only ordinary items, and a compaction item
 * exists to shrink the context, so the LATEST compaction item replaces everything before it except the
 * user's own messages (which `POST /v1/responses/compact` keeps too), and becomes one user message
 * carrying its summary, labelled as such, at its place. Earlier compaction items fall away with the
 * turns they replaced: the latest summary was written from a context that already held theirs.
 *
 * A user message is used for the summary because it is the one role every upstream accepts anywhere in
 * a conversation (several Chat Completions servers refuse a system message after the first).
 *
 * @example
 * contextForModel([user1, assistant1, compaction, user2], (blob) => sealer.open(project, blob, p).summary);
 * // [user1, {role:'user', content:[{type:'input_text', text:'[Summary …]\n\n…'}]}, user2]
 */
export function contextForModel(
  items: readonly ResponseInputItem[],
  readSummary: CompactionSummaryReader,
): ResponseInputItem[] {
  const latest = items.findLastIndex((item) => item.type === 'compaction');
  if (latest === -1) return [...items];
  const compaction = items[latest] as Extract<ResponseInputItem, { type: 'compaction' }>;
  return [
    ...items.slice(0, latest).filter(isUserMessage),
    summaryMessage(readSummary(compaction.encrypted_content)),
    ...items.slice(latest + 1),
  ];
}

/**
 * `contextForModel` for Berth's stored items, opening compaction items with the project's sealer: what
 * the engine puts in `ModelRequest.input`. Compaction items must have been verified beforehand
 * (`verifyCompactionItems`), as opening throws.
 */
export function storedContextForModel(
  entries: readonly StoredItem[],
  sealer: CompactionSealer,
  projectId: string,
): ResponseInputItem[] {
  return contextForModel(
    entries.map((entry) => entry.item as unknown as ResponseInputItem),
    (blob) => sealer.open(projectId, blob, 'input').summary,
  );
}

/** The message that carries a compaction summary to a model. */
export function summaryMessage(summary: string): ResponseInputItem {
  return {
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: `${compactionSummaryLabel}\n\n${summary}` }],
  };
}

/** A message the user wrote (not the assistant, system or developer). */
export function isUserMessage(item: { readonly type?: unknown; readonly role?: unknown }): boolean {
  return (item.type === undefined || item.type === 'message') && item.role === 'user';
}
