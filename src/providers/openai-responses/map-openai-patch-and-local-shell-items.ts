import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { z } from 'zod';
import type { ModelEvent } from '../model-provider.js';
import type { OutputItem } from './openai-responses-wire-schemas.js';

// Lenient like the other wire schemas (unknown keys pass), but what the client acts on must be there.
const operationSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('create_file'), path: z.string(), diff: z.string().nullish() }),
  z.looseObject({ type: z.literal('update_file'), path: z.string(), diff: z.string().nullish() }),
  z.looseObject({ type: z.literal('delete_file'), path: z.string() }),
]);

const localShellActionSchema = z.looseObject({
  command: z.array(z.string()),
  env: z.record(z.string(), z.string()).nullish(),
  timeout_ms: z.number().nullish(),
  user: z.string().nullish(),
  working_directory: z.string().nullish(),
});

/**
 * The event of an upstream `apply_patch_call` or `local_shell_call` output item (both arrive whole:
 * OpenAI streams neither's contents), or null for any other item, or one missing what the client
 * would need to run it.
 */
export function patchOrLocalShellCallEvent(id: string, item: OutputItem): ModelEvent | null {
  const callId = item.call_id ?? `call_${id}`;
  if (item.type === 'apply_patch_call') {
    const parsed = operationSchema.safeParse(item['operation']);
    if (!parsed.success) return null;
    const operation = parsed.data;
    return {
      type: 'apply-patch-call',
      id,
      callId,
      operation:
        operation.type === 'delete_file'
          ? { type: operation.type, path: operation.path }
          : { type: operation.type, path: operation.path, diff: operation.diff ?? '' },
    };
  }
  if (item.type === 'local_shell_call') {
    const parsed = localShellActionSchema.safeParse(item['action']);
    if (!parsed.success) return null;
    const action = parsed.data;
    return {
      type: 'local-shell-call',
      id,
      callId,
      action: {
        type: 'exec',
        command: action.command,
        env: action.env ?? {},
        timeout_ms: action.timeout_ms ?? null,
        user: action.user ?? null,
        working_directory: action.working_directory ?? null,
      },
    };
  }
  return null;
}

/** An `apply_patch` or `local_shell` call or output as sent upstream. */
export type PatchOrLocalShellUpstreamItem =
  | Omit<ResponseInputItem.ApplyPatchCall, 'id' | 'caller'>
  | Omit<ResponseInputItem.ApplyPatchCallOutput, 'id' | 'caller'>
  | Omit<ResponseInputItem.LocalShellCall, 'id'>
  | { type: 'function_call_output'; call_id: string; output: string };

/**
 * One of the four items for a `store: false` upstream, or null for any other item. Item ids are
 * dropped (with nothing stored upstream an id is a lookup that fails). A `local_shell_call_output`
 * names its call by `id`, which such an upstream would look up too, so it goes as the
 * `function_call_output` of that call id — the form OpenAI's own Codex CLI answers local shell calls
 * in.
 */
export function convertPatchOrLocalShellItem(item: ResponseInputItem): PatchOrLocalShellUpstreamItem | null {
  if (item.type === 'apply_patch_call') {
    return { type: item.type, call_id: item.call_id, operation: item.operation, status: item.status };
  }
  if (item.type === 'apply_patch_call_output') {
    return {
      type: item.type,
      call_id: item.call_id,
      status: item.status,
      ...(item.output === undefined || item.output === null ? {} : { output: item.output }),
    };
  }
  if (item.type === 'local_shell_call') {
    return { type: item.type, call_id: item.call_id, action: item.action, status: item.status };
  }
  if (item.type === 'local_shell_call_output') {
    return { type: 'function_call_output', call_id: item.id, output: item.output };
  }
  return null;
}
