import { BerthError } from '../../errors/berth-error.js';
import type { StoredItem } from '../../store/store.js';
import type { CompactionSealer } from './compaction-sealer.js';

/** Where a request's context came from, to name it when a stored compaction item no longer opens. */
export type ContextSource = 'previous_response_id' | 'conversation';

/**
 * Opens the compaction items a request brings, before anything runs or is stored, so a bad one is a
 * 400 with nothing left behind. Every item in the request's own input is checked (its `param` is
 * `input[i].encrypted_content`, as `input` and the items correspond one to one). Of the stored context
 * only the latest compaction item is opened, and only when the input has none, because that is the
 * only one a model will be shown (see `contextForModel`). Stored items were verified when they were
 * written, so one that fails now was sealed under a compaction key the server no longer has.
 */
export function verifyCompactionItems(
  contextItems: readonly StoredItem[],
  inputItems: readonly StoredItem[],
  projectId: string,
  sealer: CompactionSealer,
  contextSource: ContextSource | null,
): void {
  if (verifyNewCompactionItems(inputItems, projectId, sealer, 'input')) return;
  const latest = contextItems.findLast(({ item }) => item.type === 'compaction');
  if (!latest) return;
  try {
    sealer.open(projectId, String(latest.item.encrypted_content), contextSource ?? 'input');
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    throw new BerthError(
      'invalid_value',
      `The context holds a compaction item (${latest.id}) that this server can no longer open: it was ` +
        'sealed under a different compaction key. Start again from the full conversation or a new compaction.',
      { param: contextSource ?? 'input' },
    );
  }
}

/**
 * Opens every compaction item among items a client is adding (a request's `input`, a conversation's
 * `items`), naming the bad one as `<field>[i].encrypted_content`. Returns whether there was any.
 */
export function verifyNewCompactionItems(
  items: readonly StoredItem[],
  projectId: string,
  sealer: CompactionSealer,
  field: 'input' | 'items',
): boolean {
  let found = false;
  items.forEach(({ item }, index) => {
    if (item.type !== 'compaction') return;
    found = true;
    sealer.open(projectId, String(item.encrypted_content), `${field}[${index}].encrypted_content`);
  });
  return found;
}
