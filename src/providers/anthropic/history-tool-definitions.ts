import type { MessageParam, ToolUnion } from '@anthropic-ai/sdk/resources/messages';
import { anthropicBashTool, anthropicBashToolName } from './anthropic-bash-tool.js';

/**
 * Anthropic refuses a request whose messages hold `tool_use` or `tool_result` blocks while it defines
 * no tools ("Requests which include `tool_use` or `tool_result` blocks must define tools"). A
 * follow-up without tools after a turn that used the shell or a function is a normal thing to send,
 * so the tools the history used are defined again, with `tool_choice: none` so the model cannot call
 * what the client no longer offers. Returns undefined when nothing needs adding.
 */
export function toolsForHistory(
  messages: readonly MessageParam[],
): { tools: ToolUnion[]; toolChoice: { type: 'none' } } | undefined {
  const names = new Set<string>();
  let hasToolBlocks = false;
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_use') names.add(block.name);
      if (block.type === 'tool_use' || block.type === 'tool_result') hasToolBlocks = true;
    }
  }
  if (!hasToolBlocks) return undefined;
  const tools: ToolUnion[] = [...names].map((name) =>
    name === anthropicBashToolName
      ? anthropicBashTool
      : { name, description: 'No longer offered.', input_schema: { type: 'object' } },
  );
  return { tools, toolChoice: { type: 'none' } };
}
