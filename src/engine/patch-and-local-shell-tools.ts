import { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import type { IdGenerator } from '../ids.js';
import type { StoredItem } from '../store/store.js';
import { parseRequest } from '../validation/parse-request.js';

/**
 * OpenAI's client-executed `apply_patch` and `local_shell` tools: the model asks for a file change or
 * a command, the response ends with the call, and the client runs it and sends the outcome back
 * (`apply_patch_call_output`, `local_shell_call_output`). Berth runs neither; this file validates the
 * tools and the items, and says which names they take where they are offered as functions.
 */

/** The tool types, as `tools[i].type`. */
export type PatchOrLocalShellToolType = 'apply_patch' | 'local_shell';

/** The function names the tools take on providers without them (`apply_patch`, `local_shell`). */
export const patchAndLocalShellFunctionNames: Readonly<Record<PatchOrLocalShellToolType, string>> = {
  apply_patch: 'apply_patch',
  local_shell: 'local_shell',
};

const applyPatchTool = z.strictObject({ type: z.literal('apply_patch') });
const localShellTool = z.strictObject({ type: z.literal('local_shell') });

/** `tool_choice: {type:"apply_patch"}` (OpenAI defines no choice of local_shell). */
export const applyPatchToolChoiceSchema = z.strictObject({ type: z.literal('apply_patch') });

/** Whether `tools[i]` is one of the two tools. */
export function isPatchOrLocalShellTool(tool: Record<string, unknown>): boolean {
  return tool.type === 'apply_patch' || tool.type === 'local_shell';
}

/**
 * Validates the two tools among the request's tools and what comes with them: each at most once, no
 * other tool under a name one of them takes as a function (the model would see two tools of that
 * name on some provider kinds), and an `apply_patch` tool_choice only beside the tool. The hosted
 * shell is offered as `shell` or `bash`, so it never shares a name with `local_shell`.
 */
export function checkPatchAndLocalShellTools(
  tools: readonly Record<string, unknown>[],
  toolChoice: unknown,
): void {
  const seen = new Set<PatchOrLocalShellToolType>();
  for (const [index, tool] of tools.entries()) {
    if (!isPatchOrLocalShellTool(tool)) continue;
    const parsed = parseRequest(
      tool.type === 'apply_patch' ? applyPatchTool : localShellTool,
      tool,
      `tools[${index}]`,
    );
    if (seen.has(parsed.type)) {
      throw new BerthError('invalid_value', `Only one ${parsed.type} tool may be given.`, {
        param: `tools[${index}]`,
      });
    }
    seen.add(parsed.type);
  }
  for (const type of seen) {
    const name = patchAndLocalShellFunctionNames[type];
    const clash = tools.findIndex((tool) => !isPatchOrLocalShellTool(tool) && tool.name === name);
    if (clash >= 0) {
      throw new BerthError(
        'invalid_value',
        `A ${String(tools[clash]?.type)} tool cannot be named '${name}' beside the ${type} tool: models see the ${type} tool under that name.`,
        { param: `tools[${clash}].name` },
      );
    }
  }
  if (isApplyPatchChoice(toolChoice) && !seen.has('apply_patch')) {
    throw new BerthError(
      'invalid_value',
      "tool_choice names the apply_patch tool, but tools has no 'apply_patch' tool.",
      {
        param: 'tool_choice',
      },
    );
  }
}

/** Which of the two tools a request (validated already) offers, as `ModelRequest` says it. */
export function offeredPatchAndLocalShellTools(tools: readonly Record<string, unknown>[]): {
  readonly applyPatchTool: boolean;
  readonly localShellTool: boolean;
} {
  return {
    applyPatchTool: tools.some((tool) => tool.type === 'apply_patch'),
    localShellTool: tools.some((tool) => tool.type === 'local_shell'),
  };
}

function isApplyPatchChoice(choice: unknown): boolean {
  return (
    typeof choice === 'object' && choice !== null && (choice as { type?: unknown }).type === 'apply_patch'
  );
}

// Output items listed back by OpenAI carry who made them; a client may echo them as input.
const provenance = { created_by: z.string().optional(), caller: z.unknown().optional() };

const applyPatchOperation = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('create_file'), path: z.string().min(1), diff: z.string() }),
  z.strictObject({ type: z.literal('update_file'), path: z.string().min(1), diff: z.string() }),
  z.strictObject({ type: z.literal('delete_file'), path: z.string().min(1) }),
]);

/** An `apply_patch_call` as the model made it (the client sends it back with stateless history). */
export const applyPatchCallItemSchema = z.strictObject({
  type: z.literal('apply_patch_call'),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  operation: applyPatchOperation,
  status: z.enum(['in_progress', 'completed']),
  ...provenance,
});

/** The client's outcome of applying a patch. */
export const applyPatchCallOutputItemSchema = z.strictObject({
  type: z.literal('apply_patch_call_output'),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  status: z.enum(['completed', 'failed']),
  output: z.string().nullable().optional(),
  ...provenance,
});

/** A `local_shell_call` as the model made it. */
export const localShellCallItemSchema = z.strictObject({
  type: z.literal('local_shell_call'),
  id: z.string().min(1),
  call_id: z.string().min(1),
  action: z.strictObject({
    type: z.literal('exec'),
    command: z.array(z.string()).min(1),
    env: z.record(z.string(), z.string()),
    timeout_ms: z.int().min(1).nullable().optional(),
    user: z.string().nullable().optional(),
    working_directory: z.string().nullable().optional(),
  }),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
});

/**
 * The client's output of a local shell call. OpenAI's shape names the call by `id` (the call's
 * `call_id`), not by a `call_id` field.
 */
export const localShellCallOutputItemSchema = z.strictObject({
  type: z.literal('local_shell_call_output'),
  id: z.string().min(1),
  output: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).nullable().optional(),
});

type PatchOrLocalShellItem =
  | z.infer<typeof applyPatchCallItemSchema>
  | z.infer<typeof applyPatchCallOutputItemSchema>
  | z.infer<typeof localShellCallItemSchema>
  | z.infer<typeof localShellCallOutputItemSchema>;

/**
 * One of the four items as a stored item with an id. A `local_shell_call_output` keeps its `id` (the
 * call it answers) in the item and gets a stored id of its own, so ids stay unique.
 */
export function normalizePatchOrLocalShellItem(item: PatchOrLocalShellItem, ids: IdGenerator): StoredItem {
  switch (item.type) {
    case 'apply_patch_call': {
      const id = item.id ?? ids.next('apc');
      return { id, item: { ...item, id } };
    }
    case 'apply_patch_call_output': {
      const id = item.id ?? ids.next('apco');
      return { id, item: { ...item, id } };
    }
    case 'local_shell_call':
      return { id: item.id, item: { ...item } };
    case 'local_shell_call_output':
      return { id: ids.next('lsho'), item: { ...item, status: item.status ?? 'completed' } };
  }
}

/**
 * A `local_shell_call_output` must answer a `local_shell_call` of the context, as OpenAI requires of
 * every tool output; its `id` is the call's `call_id`.
 */
export function checkLocalShellOutputsHaveCalls(
  context: readonly StoredItem[],
  input: readonly StoredItem[],
): void {
  const callIds = new Set(
    [...context, ...input]
      .filter(({ item }) => item.type === 'local_shell_call')
      .map(({ item }) => item.call_id),
  );
  for (const { item } of input) {
    if (item.type === 'local_shell_call_output' && !callIds.has(item.id)) {
      throw new BerthError(
        'invalid_value',
        `No tool call found for local shell call output with id ${String(item.id)}.`,
        { param: 'input', wireCode: null },
      );
    }
  }
}
