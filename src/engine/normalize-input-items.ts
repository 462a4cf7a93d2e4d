import { BerthError } from '../errors/berth-error.js';
import type { IdGenerator, IdPrefix } from '../ids.js';
import type { StoredItem } from '../store/store.js';
import { isHostedItemType } from './hosted-item-schema.js';
import type { InputItem } from './input-item-schema.js';
import { normalizePatchOrLocalShellItem } from './patch-and-local-shell-tools.js';

/**
 * Turns a request's `input` into stored items in OpenAI's full form, each with an id: a string
 * becomes one user message, string message content becomes one text part, and an `item_reference`
 * is replaced by the item it names from the context.
 */
export function normalizeInputItems(
  input: string | readonly InputItem[] | undefined,
  context: readonly StoredItem[],
  ids: IdGenerator,
): StoredItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string') {
    const id = ids.next('msg');
    return [
      {
        id,
        item: {
          id,
          type: 'message',
          role: 'user',
          status: 'completed',
          content: [{ type: 'input_text', text: input }],
        },
      },
    ];
  }
  return input.map((item, index) => normalizeItem(item, index, context, ids));
}

function normalizeItem(
  item: InputItem,
  index: number,
  context: readonly StoredItem[],
  ids: IdGenerator,
): StoredItem {
  if (isHostedItemType(item.type)) {
    const id = item.id ?? ids.next(item.type === 'web_search_call' ? 'ws' : 'item');
    return { id, item: { ...item, id } };
  }
  switch (item.type) {
    case 'message': {
      const id = item.id ?? ids.next('msg');
      const content =
        typeof item.content === 'string'
          ? [
              item.role === 'assistant'
                ? { type: 'output_text', text: item.content, annotations: [] }
                : { type: 'input_text', text: item.content },
            ]
          : item.content;
      return { id, item: { ...item, id, status: item.status ?? 'completed', content } };
    }
    case 'function_call': {
      const id = item.id ?? ids.next('fc');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'function_call_output': {
      const id = item.id ?? ids.next('fco');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'custom_tool_call': {
      const id = item.id ?? ids.next('ctc');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'custom_tool_call_output': {
      const id = item.id ?? ids.next('ctco');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'reasoning': {
      const id = item.id ?? ids.next('rs');
      return { id, item: { ...item, id } };
    }
    case 'shell_call': {
      const id = item.id ?? ids.next('sh');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'shell_call_output': {
      const id = item.id ?? ids.next('sho');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'apply_patch_call':
    case 'apply_patch_call_output':
    case 'local_shell_call':
    case 'local_shell_call_output':
      return normalizePatchOrLocalShellItem(item, ids);
    case 'tool_search_call':
    case 'tool_search_output': {
      const id = item.id ?? ids.next(item.type === 'tool_search_call' ? 'tsc' : 'tso');
      return { id, item: { ...item, id, status: item.status ?? 'completed' } };
    }
    case 'compaction': {
      // Opened (verified) by `verifyCompactionItems` once the whole request is normalized.
      const id = item.id ?? ids.next('cmp');
      return { id, item: { id, type: 'compaction', encrypted_content: item.encrypted_content } };
    }
    case 'compaction_trigger':
      throw new BerthError(
        'unsupported_parameter',
        'compaction_trigger input items are not supported by Berth: compact with POST /v1/responses/compact, ' +
          'or set context_management to compact automatically.',
        { param: `input[${index}].type` },
      );
    case 'item_reference': {
      const found = context.find((candidate) => candidate.id === item.id);
      if (!found) {
        throw new BerthError('invalid_value', `Item with id '${item.id}' not found.`, {
          param: `input[${index}].id`,
        });
      }
      // The referenced item is repeated as a new item of its own, so ids stay unique in a conversation.
      const id = ids.next(idPrefixOf(found.item.type));
      return { id, item: { ...found.item, id } };
    }
  }
}

function idPrefixOf(type: unknown): IdPrefix {
  switch (type) {
    case 'message':
      return 'msg';
    case 'function_call':
      return 'fc';
    case 'function_call_output':
      return 'fco';
    case 'custom_tool_call':
      return 'ctc';
    case 'custom_tool_call_output':
      return 'ctco';
    case 'reasoning':
      return 'rs';
    case 'shell_call':
      return 'sh';
    case 'shell_call_output':
      return 'sho';
    case 'compaction':
      return 'cmp';
    case 'apply_patch_call':
      return 'apc';
    case 'apply_patch_call_output':
      return 'apco';
    case 'local_shell_call':
      return 'lsh';
    case 'local_shell_call_output':
      return 'lsho';
    case 'tool_search_call':
      return 'tsc';
    case 'tool_search_output':
      return 'tso';
    default:
      return 'item';
  }
}

/**
 * OpenAI rejects a tool output that answers no tool call in the context; so does Berth, with the
 * same message and `param`.
 */
export function checkToolOutputsHaveCalls(
  context: readonly StoredItem[],
  input: readonly StoredItem[],
): void {
  const callIds = new Map<unknown, Set<unknown>>();
  for (const { item } of [...context, ...input]) {
    const ids = callIds.get(item.type) ?? new Set();
    callIds.set(item.type, ids.add(item.call_id));
  }
  for (const { item } of input) {
    const answered = answeredCalls.get(item.type);
    if (answered && !callIds.get(answered.callType)?.has(item.call_id)) {
      throw new BerthError(
        'invalid_value',
        `No tool call found for ${answered.kind} output with call_id ${String(item.call_id)}.`,
        { param: 'input', wireCode: null },
      );
    }
  }
}

/** Each tool output item type, with the call type it answers and how OpenAI's message names it. */
const answeredCalls = new Map<unknown, { readonly callType: string; readonly kind: string }>([
  ['function_call_output', { callType: 'function_call', kind: 'function call' }],
  ['custom_tool_call_output', { callType: 'custom_tool_call', kind: 'custom tool call' }],
  ['shell_call_output', { callType: 'shell_call', kind: 'shell call' }],
  ['apply_patch_call_output', { callType: 'apply_patch_call', kind: 'apply patch call' }],
]);
