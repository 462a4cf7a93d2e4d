import type {
  FunctionShellTool,
  ResponseCreateParamsBase,
  ResponseTextConfig,
  Tool,
} from 'openai/resources/responses/responses';
import type { InputTokenCountParams } from 'openai/resources/responses/input-tokens';
import type { ModelRequest } from '../model-provider.js';
import { convertToOpenAIResponsesInput } from './convert-to-openai-responses-input.js';

/** The `POST /v1/responses` body for one turn, without `stream` (the caller sets it). */
export type OpenAIResponsesRequestBody = Omit<ResponseCreateParamsBase, 'stream'>;

/**
 * The upstream request for a ModelRequest. Berth keeps all state itself, so the upstream is told not to
 * store anything; reasoning then survives between turns only as `encrypted_content`, which must be asked
 * for (and only when reasoning is on: non-reasoning models reject the include).
 */
export function buildOpenAIResponsesRequest(request: ModelRequest): OpenAIResponsesRequestBody {
  return {
    ...buildSharedFields(request),
    store: false,
    ...(request.reasoning ? { include: ['reasoning.encrypted_content'] } : {}),
    ...(request.temperature !== null ? { temperature: request.temperature } : {}),
    ...(request.topP !== null ? { top_p: request.topP } : {}),
    ...(request.maxOutputTokens !== null ? { max_output_tokens: request.maxOutputTokens } : {}),
    ...(request.endUser.safetyIdentifier !== null
      ? { safety_identifier: request.endUser.safetyIdentifier }
      : {}),
    ...(request.endUser.user !== null ? { user: request.endUser.user } : {}),
  };
}

/** The `POST /v1/responses/input_tokens` body: the same context, without sampling settings. */
export function buildOpenAIInputTokenCountRequest(request: ModelRequest): InputTokenCountParams {
  return buildSharedFields(request);
}

/**
 * OpenAI's own shell tool, with no environment: the upstream then treats it as client-executed and
 * hands every `shell_call` back to Berth, which runs it in its own container. (A hosted environment
 * would run the commands in OpenAI's containers instead.)
 */
const clientExecutedShellTool: FunctionShellTool = { type: 'shell' };

function buildSharedFields(request: ModelRequest) {
  const tools: Tool[] = [
    ...request.tools,
    ...(request.namespaces ?? []),
    ...(request.toolSearch ? [request.toolSearch] : []),
    ...(request.shellTool ? [clientExecutedShellTool] : []),
  ];
  return {
    model: request.model,
    input: convertToOpenAIResponsesInput(request.input),
    ...(request.instructions !== null ? { instructions: request.instructions } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(request.toolChoice !== null ? { tool_choice: request.toolChoice } : {}),
    ...(request.parallelToolCalls !== null ? { parallel_tool_calls: request.parallelToolCalls } : {}),
    ...textConfig(request),
    ...(request.reasoning !== null ? { reasoning: request.reasoning } : {}),
  };
}

/** `text`: the output format and verbosity, each only when the client set it. */
function textConfig(request: ModelRequest): { text?: ResponseTextConfig } {
  if (request.textFormat === null && request.verbosity === null) return {};
  return {
    text: {
      ...(request.textFormat !== null ? { format: request.textFormat } : {}),
      ...(request.verbosity !== null ? { verbosity: request.verbosity } : {}),
    },
  };
}
