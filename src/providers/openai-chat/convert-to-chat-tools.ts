import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionFunctionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { BerthError } from '../../errors/berth-error.js';
import type { FunctionToolsRequest } from '../function-tools-request.js';
import { chatShellTool, chatShellToolName } from './chat-shell-tool.js';

/** The tool fields of a Chat Completions request. */
export type ChatToolFields = Pick<
  ChatCompletionCreateParamsBase,
  'tools' | 'tool_choice' | 'parallel_tool_calls'
>;

/**
 * Converts function tools (custom tools are functions by now), the shell tool (as the `shell`
 * function, after the others), `tool_choice` and `parallel_tool_calls`. With no tools none of the
 * three is sent: OpenAI rejects `tool_choice` and `parallel_tool_calls` without `tools`, and servers
 * that do not support tools at all still answer plain requests.
 */
export function convertToChatTools(request: FunctionToolsRequest): ChatToolFields {
  const toolChoice = convertToChatToolChoice(request.toolChoice);
  const tools = request.tools.map((tool): ChatCompletionFunctionTool => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      ...(tool.parameters ? { parameters: tool.parameters } : {}),
      ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
    },
  }));
  if (request.shellTool) tools.push(chatShellTool);
  if (tools.length === 0) return {};
  return {
    tools,
    ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
    ...(request.parallelToolCalls === null ? {} : { parallel_tool_calls: request.parallelToolCalls }),
  };
}

/** Maps `tool_choice`; `allowed_tools` has no counterpart that compatible servers understand. */
function convertToChatToolChoice(
  toolChoice: FunctionToolsRequest['toolChoice'],
): ChatCompletionToolChoiceOption | undefined {
  if (toolChoice === null) return undefined;
  if (typeof toolChoice === 'string') return toolChoice;
  if (toolChoice.type === 'function') return { type: 'function', function: { name: toolChoice.name } };
  if (toolChoice.type === 'shell') return { type: 'function', function: { name: chatShellToolName } };
  throw new BerthError(
    'unsupported_parameter',
    "tool_choice of type 'allowed_tools' is not supported by Chat Completions upstreams; use 'auto', 'required', 'none' or a single function.",
    { param: 'tool_choice' },
  );
}
