import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionToolMessageParam,
} from 'openai/resources/chat/completions';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { z } from 'zod';
import type { ShellAction } from '../model-provider.js';
import { shellOutputText } from '../shell-output-text.js';

/** The function name the shell takes on Chat Completions; a client function may not take it (the engine checks). */
export const chatShellToolName = 'shell';

/**
 * The shell as a function tool, for models that only know function calling. Its parameters mirror
 * OpenAI's `shell_call.action`, so a call maps onto a shell call one to one, and the description
 * tells the model what the native tool's training would have: what the session is and where files go.
 */
export const chatShellTool: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: chatShellToolName,
    description:
      'Runs shell commands in a persistent bash session in a sandboxed Linux container. State is kept ' +
      'between calls: the working directory, environment variables, installed packages and files. ' +
      "The user's files, and files to give back to the user, are in /mnt/data. The commands run one " +
      'after another; each one returns its stdout, its stderr and, when it is not 0, its exit code.',
    parameters: {
      type: 'object',
      properties: {
        commands: {
          type: 'array',
          items: { type: 'string' },
          minItems: 1,
          description: 'Shell commands to run in order, for example ["cd /mnt/data", "ls -la"].',
        },
        // Plain `integer`, optional, rather than `["integer", "null"]`: Gemini's compatibility endpoint
        // rejects type arrays. A model that sends null anyway is understood (see the schema below).
        timeout_ms: {
          type: 'integer',
          description: 'How long each command may run, in milliseconds. Omit for the default.',
        },
        max_output_length: {
          type: 'integer',
          description: 'How many characters of output to return per command. Omit for the default.',
        },
      },
      required: ['commands'],
    },
  },
};

// The parameters above, for what the model sends back. Extra keys are ignored: they change nothing
// Berth does, and failing a call over them would waste the model's turn.
const shellArgumentsSchema = z.looseObject({
  commands: z.array(z.string()).min(1),
  timeout_ms: z.number().int().nullish(),
  max_output_length: z.number().int().nullish(),
});

/**
 * The shell action for a call of the `shell` function. Arguments that are not JSON or do not fit
 * the schema make an invalid call carrying the raw arguments as its one command, so the client sees
 * what the model sent and the model reads why on stderr.
 */
export function shellArgumentsToShellAction(argumentsText: string): ShellAction {
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsText);
  } catch {
    return invalidCall(argumentsText, 'The shell arguments are not valid JSON.');
  }
  const result = shellArgumentsSchema.safeParse(parsed);
  if (!result.success) {
    return invalidCall(
      argumentsText,
      'The shell arguments must be {"commands": [<one or more strings>], "timeout_ms"?: integer, "max_output_length"?: integer}.',
    );
  }
  return {
    commands: result.data.commands,
    timeoutMs: result.data.timeout_ms ?? null,
    maxOutputLength: result.data.max_output_length ?? null,
  };
}

function invalidCall(argumentsText: string, invalid: string): ShellAction {
  return { commands: [argumentsText], timeoutMs: null, maxOutputLength: null, invalid };
}

/** A `shell_call` as the `shell` function call the model would have made; unset limits are left out. */
export function shellCallToChatToolCall(
  item: ResponseInputItem.ShellCall,
): ChatCompletionMessageFunctionToolCall {
  const { commands, timeout_ms, max_output_length } = item.action;
  const parameters = {
    commands,
    ...(typeof timeout_ms === 'number' ? { timeout_ms } : {}),
    ...(typeof max_output_length === 'number' ? { max_output_length } : {}),
  };
  return {
    id: item.call_id,
    type: 'function',
    function: { name: chatShellToolName, arguments: JSON.stringify(parameters) },
  };
}

/** A `shell_call_output` as the `tool` message answering the call: its output as plain text. */
export function shellCallOutputToChatToolMessage(
  item: ResponseInputItem.ShellCallOutput,
): ChatCompletionToolMessageParam {
  // A call with no commands answers with no entries; an empty tool message reads as a lost answer.
  return { role: 'tool', tool_call_id: item.call_id, content: shellOutputText(item.output) || '(no output)' };
}
