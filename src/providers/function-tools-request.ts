import type {
  FunctionTool,
  ToolChoiceApplyPatch,
  ToolChoiceCustom,
} from 'openai/resources/responses/responses';
import type { ModelRequest } from './model-provider.js';

/**
 * A ModelRequest as an adapter whose protocol knows only function tools (Chat Completions, Anthropic
 * Messages) receives it: the wrappers in `provider-registry.ts` have already offered custom tools,
 * `apply_patch` and `local_shell` as functions.
 */
export type FunctionToolsRequest = Omit<ModelRequest, 'tools' | 'toolChoice'> & {
  readonly tools: readonly FunctionTool[];
  readonly toolChoice: Exclude<ModelRequest['toolChoice'], ToolChoiceCustom | ToolChoiceApplyPatch>;
};

/**
 * The request, checked to hold only function tools. Anything else means an adapter was built without
 * its wrappers (`withCustomToolsAsFunctions`, `withPatchAndLocalShellAsFunctions`): a wiring bug, not
 * a client error, so it throws a plain Error.
 */
export function functionToolsOnly(request: ModelRequest): FunctionToolsRequest {
  const other = request.tools.find((tool) => tool.type !== 'function');
  if (other) throw new Error(`a tool of type ${other.type} reached a function-tools adapter unwrapped`);
  const choice = request.toolChoice;
  if (
    typeof choice === 'object' &&
    choice !== null &&
    (choice.type === 'custom' || choice.type === 'apply_patch')
  )
    throw new Error(`a tool_choice of type ${choice.type} reached a function-tools adapter unwrapped`);
  return request as FunctionToolsRequest;
}
