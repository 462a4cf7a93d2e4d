import type {
  FunctionTool,
  ResponseApplyPatchToolCall,
  ResponseInputItem,
} from 'openai/resources/responses/responses';
import { z } from 'zod';

/**
 * OpenAI's client-executed `apply_patch` and `local_shell` tools on providers that only know function
 * tools (Chat Completions, Anthropic Messages). Each is offered as a function of the same name whose
 * JSON arguments carry what OpenAI's call item carries; a call of it comes back as the native item, so
 * a client written for OpenAI runs it unchanged. The context's native items go back to the model as
 * the function calls and results it made and saw.
 */

/** What an `apply_patch_call` asks for: create, update or delete one file. */
export type ApplyPatchOperation = ResponseApplyPatchToolCall['operation'];

/** What a `local_shell_call` asks for: one command (an argv), to run on the client's machine. */
export type LocalShellAction = ResponseInputItem.LocalShellCall.Action;

/** The function names the two tools take where they are functions. */
export const applyPatchFunctionName = 'apply_patch';
export const localShellFunctionName = 'local_shell';

// The V4A format is what OpenAI's models write for apply_patch; other models need it spelled out.
const applyPatchDescription = `Creates, updates or deletes one file. Paths are relative to the working directory.
- create_file: "diff" is the whole content of the new file, every line prefixed with "+".
- update_file: "diff" is a V4A diff of the changes. It is one or more hunks. Each hunk starts with a line "@@", optionally followed by a line from the file that locates it (a class or function signature, e.g. "@@ def main():"). Then come the hunk's lines: unchanged context lines prefixed with " " (a space), removed lines prefixed with "-", added lines prefixed with "+". Give 3 lines of unchanged context before and after each change so it can be found without line numbers; do not write line numbers or the "---"/"+++" headers of unified diffs.
- delete_file: leave out "diff".
Example update_file diff:
@@ def greet():
     name = "world"
-    print("hello " + name)
+    print(f"hello {name}")
     return name`;

/** `apply_patch` as a function: one operation per call, as OpenAI's `apply_patch_call` has. */
export const applyPatchFunction: FunctionTool = {
  type: 'function',
  name: applyPatchFunctionName,
  description: applyPatchDescription,
  parameters: {
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['create_file', 'update_file', 'delete_file'] },
      path: { type: 'string', description: 'The file to create, update or delete.' },
      diff: {
        type: 'string',
        description: 'create_file: the new content, each line prefixed with "+". update_file: the V4A diff.',
      },
    },
    required: ['type', 'path'],
    additionalProperties: false,
  },
  // Left to the provider's default: strict schemas are an OpenAI feature many compatible servers reject.
  strict: null,
};

/** `local_shell` as a function: the argv, and where and how long to run it. */
export const localShellFunction: FunctionTool = {
  type: 'function',
  name: localShellFunctionName,
  description:
    'Runs a command on the user\'s machine and returns its output. "command" is the argv: the program ' +
    'and each argument as its own element (for shell syntax such as pipes use ["bash", "-lc", "<script>"]).',
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'The argv to run.' },
      workdir: { type: 'string', description: 'The directory to run it in.' },
      timeout_ms: { type: 'integer', minimum: 1, description: 'Stop it after this many milliseconds.' },
    },
    required: ['command'],
    additionalProperties: false,
  },
  strict: null,
};

// A model's arguments are read leniently (extra keys change nothing); what the client must act on is not.
const applyPatchArgumentsSchema = z.looseObject({
  type: z.enum(['create_file', 'update_file', 'delete_file']),
  path: z.string().min(1),
  diff: z.string().optional(),
});

const localShellArgumentsSchema = z.looseObject({
  command: z.array(z.string()).min(1),
  workdir: z.string().nullish(),
  timeout_ms: z.number().int().positive().nullish(),
});

/**
 * The operation a call of the `apply_patch` function asks for, or null when its arguments are not
 * that JSON (the call is then handed over as the function call it was, so nothing the model wrote is
 * lost). A create without `diff` creates an empty file.
 */
export function applyPatchOperationOf(argumentsText: string): ApplyPatchOperation | null {
  const parsed = applyPatchArgumentsSchema.safeParse(parseJson(argumentsText));
  if (!parsed.success) return null;
  const { type, path, diff } = parsed.data;
  if (type === 'delete_file') return { type, path };
  return { type, path, diff: diff ?? '' };
}

/** The action a call of the `local_shell` function asks for, or null when its arguments are not that JSON. */
export function localShellActionOf(argumentsText: string): LocalShellAction | null {
  const parsed = localShellArgumentsSchema.safeParse(parseJson(argumentsText));
  if (!parsed.success) return null;
  return {
    type: 'exec',
    command: parsed.data.command,
    env: {},
    timeout_ms: parsed.data.timeout_ms ?? null,
    working_directory: parsed.data.workdir ?? null,
    user: null,
  };
}

/**
 * A context item as a provider of function tools sees it: `apply_patch` and `local_shell` calls and
 * their outputs become the function calls and results the model made and saw; other items stay.
 */
export function patchOrLocalShellItemAsFunctionItem(item: ResponseInputItem): ResponseInputItem {
  if (item.type === 'apply_patch_call') {
    const { operation } = item;
    const argumentsObject =
      operation.type === 'delete_file'
        ? { type: operation.type, path: operation.path }
        : { type: operation.type, path: operation.path, diff: operation.diff };
    return {
      type: 'function_call',
      call_id: item.call_id,
      name: applyPatchFunctionName,
      arguments: JSON.stringify(argumentsObject),
    };
  }
  if (item.type === 'apply_patch_call_output') {
    return { type: 'function_call_output', call_id: item.call_id, output: applyPatchResultText(item) };
  }
  if (item.type === 'local_shell_call') {
    const { action } = item;
    return {
      type: 'function_call',
      call_id: item.call_id,
      name: localShellFunctionName,
      arguments: JSON.stringify({
        command: action.command,
        ...(action.working_directory ? { workdir: action.working_directory } : {}),
        ...(action.timeout_ms ? { timeout_ms: action.timeout_ms } : {}),
      }),
    };
  }
  if (item.type === 'local_shell_call_output') {
    // The output answers the call whose call_id is its `id` (OpenAI's shape for this item).
    return { type: 'function_call_output', call_id: item.id, output: item.output };
  }
  return item;
}

/**
 * The result the model sees for an apply_patch call: the client's output, and — since a function
 * result has no status — whether it failed, said in words.
 */
function applyPatchResultText(item: ResponseInputItem.ApplyPatchCallOutput): string {
  const output = item.output ?? '';
  if (item.status === 'failed') return output === '' ? 'The patch failed.' : `The patch failed: ${output}`;
  return output === '' ? 'The patch was applied.' : output;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
