import type { ToolChoice, ToolUnion } from '@anthropic-ai/sdk/resources/messages';
import type { FunctionTool } from 'openai/resources/responses/responses';
import type { FunctionToolsRequest } from '../function-tools-request.js';
import { anthropicBashTool, anthropicBashToolName } from './anthropic-bash-tool.js';
import {
  anthropicWebSearchChoice,
  anthropicWebSearchName,
  anthropicWebSearchTool,
} from './anthropic-web-search.js';

/** Anthropic's `tools` and `tool_choice` for one request; both undefined when there are no tools. */
export interface AnthropicToolSettings {
  readonly tools: ToolUnion[] | undefined;
  readonly toolChoice: ToolChoice | undefined;
}

function convertTool(tool: FunctionTool): ToolUnion {
  return {
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    // Responses function parameters are JSON Schema objects (or absent for no arguments); Anthropic
    // insists on the `type: "object"` literal. `strict` is not passed on: OpenAI clients set it by
    // default, while Anthropic accepts strict tools only on some models.
    input_schema: { properties: {}, ...tool.parameters, type: 'object' },
  };
}

/** Names the tools an `allowed_tools` choice lists: function names, and `bash` for the shell tool. */
function allowedToolNames(tools: readonly { [key: string]: unknown }[]): Set<string> {
  const names = new Set<string>();
  for (const tool of tools) {
    if (tool['type'] === 'function' && typeof tool['name'] === 'string') names.add(tool['name']);
    if (tool['type'] === 'shell') names.add(anthropicBashToolName);
    if (typeof tool['type'] === 'string' && tool['type'].startsWith('web_search'))
      names.add(anthropicWebSearchName);
  }
  return names;
}

/**
 * Maps function tools (custom tools are functions by now), the shell tool (as Anthropic's bash tool,
 * after the functions), `tool_choice` and `parallel_tool_calls`: auto → auto, required → any, none →
 * none, a named function → tool, the shell → the bash tool; `allowed_tools` narrows the tool list
 * (Anthropic has no equivalent) and keeps its auto/required mode. `parallel_tool_calls: false` becomes
 * `disable_parallel_tool_use`, which only the choices that allow tool use carry.
 */
export function mapAnthropicTools(request: FunctionToolsRequest): AnthropicToolSettings {
  const choice = request.toolChoice;
  const allowed = typeof choice === 'object' && choice?.type === 'allowed_tools' ? choice : null;
  const names = allowed === null ? null : allowedToolNames(allowed.tools);
  const tools = request.tools.filter((tool) => names === null || names.has(tool.name)).map(convertTool);
  if (request.shellTool && (names === null || names.has(anthropicBashToolName)))
    tools.push(anthropicBashTool);
  const webSearch = anthropicWebSearchTool(request.hostedTools);
  if (webSearch && (names === null || names.has(anthropicWebSearchName))) tools.push(webSearch);
  if (tools.length === 0) return { tools: undefined, toolChoice: undefined };

  const parallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  let toolChoice: ToolChoice | undefined;
  if (choice === null || choice === 'auto') {
    toolChoice = request.parallelToolCalls === false ? { type: 'auto', ...parallel } : undefined;
  } else if (choice === 'required') {
    toolChoice = { type: 'any', ...parallel };
  } else if (choice === 'none') {
    toolChoice = { type: 'none' };
  } else if (choice.type === 'function') {
    toolChoice = { type: 'tool', name: choice.name, ...parallel };
  } else if (choice.type === 'allowed_tools') {
    toolChoice = { type: choice.mode === 'required' ? 'any' : 'auto', ...parallel };
  } else if (choice.type.startsWith('web_search')) {
    toolChoice = anthropicWebSearchChoice(parallel);
  } else {
    toolChoice = { type: 'tool', name: anthropicBashToolName, ...parallel };
  }
  return { tools, toolChoice };
}
