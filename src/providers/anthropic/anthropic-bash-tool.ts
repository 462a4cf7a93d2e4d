import type {
  ToolBash20250124,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { z } from 'zod';
import type { ShellAction } from '../model-provider.js';
import { shellOutputText } from '../shell-output-text.js';

/** The name Anthropic's bash tool is called by; a client function tool may not take it (the engine checks). */
export const anthropicBashToolName = 'bash';

/**
 * Anthropic's bash tool, the form of the shell Claude models are trained on: a persistent bash session
 * that takes one command per call. The schema is Anthropic's own, so the tool carries no description.
 */
export const anthropicBashTool: ToolBash20250124 = { type: 'bash_20250124', name: anthropicBashToolName };

// What the model sends is read leniently: extra keys are ignored, only the fields Berth acts on count.
const restartInputSchema = z.looseObject({ restart: z.literal(true) });
const commandInputSchema = z.looseObject({ command: z.string() });

/**
 * The shell action for a `bash` tool_use's input. `{command}` is one call with one command;
 * `{restart: true}` is a call with no commands, which the engine answers with no output.
 * Anything else is an invalid call that carries the input as its one "command", so the client sees it.
 */
export function bashInputToShellAction(input: unknown): ShellAction {
  const limits = { timeoutMs: null, maxOutputLength: null };
  // Restart wins when both come, as in Anthropic's reference implementation of the tool.
  if (restartInputSchema.safeParse(input).success) return { commands: [], ...limits };
  const command = commandInputSchema.safeParse(input);
  if (command.success) return { commands: [command.data.command], ...limits };
  return {
    commands: [typeof input === 'string' ? input : JSON.stringify(input ?? null)],
    ...limits,
    invalid: 'The bash tool takes {"command": "<shell command>"} or {"restart": true}.',
  };
}

/**
 * A `shell_call` as the `bash` tool_use Claude would have made. A call of several commands (from an
 * OpenAI model earlier in the conversation) becomes one command of the commands joined by newlines,
 * which runs them in order in the same session; no commands is a restart.
 */
export function shellCallToBashToolUse(item: ResponseInputItem.ShellCall): ToolUseBlockParam {
  const commands = item.action.commands;
  const input = commands.length === 0 ? { restart: true } : { command: commands.join('\n') };
  return { type: 'tool_use', id: item.call_id, name: anthropicBashToolName, input };
}

/**
 * A `shell_call_output` as the bash tool's `tool_result`: the output as plain text. `is_error` is set
 * when a command timed out or exited non-zero (an invalid call is answered with exit code 2), the
 * tool result's way of saying the command failed; stderr alone is not a failure (warnings, progress).
 */
export function shellCallOutputToToolResult(item: ResponseInputItem.ShellCallOutput): ToolResultBlockParam {
  const failed = item.output.some(
    (entry) => entry.outcome.type === 'timeout' || entry.outcome.exit_code !== 0,
  );
  return {
    type: 'tool_result',
    tool_use_id: item.call_id,
    // A restart answers with no entries; Anthropic rejects empty text, and the model should see why.
    content: shellOutputText(item.output) || '(no output)',
    ...(failed ? { is_error: true } : {}),
  };
}
