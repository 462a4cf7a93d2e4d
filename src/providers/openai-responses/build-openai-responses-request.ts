import type {
  FunctionShellTool,
  ResponseCreateParamsBase,
  ResponseIncludable,
  ResponseTextConfig,
  Tool,
} from 'openai/resources/responses/responses';
import type { InputTokenCountParams } from 'openai/resources/responses/input-tokens';
import type { ModelRequest, PromptCacheSettings } from '../model-provider.js';
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
    ...includeOf(request),
    ...(request.temperature !== null ? { temperature: request.temperature } : {}),
    ...(request.topP !== null ? { top_p: request.topP } : {}),
    ...(request.maxOutputTokens !== null ? { max_output_tokens: request.maxOutputTokens } : {}),
    ...(request.endUser.safetyIdentifier !== null
      ? { safety_identifier: request.endUser.safetyIdentifier }
      : {}),
    ...(request.endUser.user !== null ? { user: request.endUser.user } : {}),
    ...promptCacheFields(request.promptCache),
  };
}

/**
 * The client's cache key and retention, as given: OpenAI caches every prompt on its own, and the key
 * routes requests that share a prefix to the same cache. Left out when unset, so compatible servers
 * that know neither field never see them.
 */
function promptCacheFields(
  settings: PromptCacheSettings | null,
): Pick<OpenAIResponsesRequestBody, 'prompt_cache_key' | 'prompt_cache_retention'> {
  const key = settings?.key ?? null;
  const retention = settings?.retention ?? null;
  return {
    ...(key !== null ? { prompt_cache_key: key } : {}),
    ...(retention !== null ? { prompt_cache_retention: retention } : {}),
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
    // Hosted tools go as the client wrote them: the upstream is the one that validates and runs them.
    ...((request.hostedTools ?? []) as unknown as Tool[]),
    ...(request.namespaces ?? []),
    ...(request.toolSearch ? [request.toolSearch] : []),
    ...(request.shellTool ? [clientExecutedShellTool] : []),
    ...(request.applyPatchTool ? [{ type: 'apply_patch' as const }] : []),
    ...(request.localShellTool ? [{ type: 'local_shell' as const }] : []),
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

/**
 * `include`: reasoning's encrypted state (only when reasoning is on) and what the client asked of the
 * hosted tools' items (`web_search_call.action.sources`, …), which the upstream fills in.
 */
function includeOf(request: ModelRequest): { include?: ResponseIncludable[] } {
  const include = [
    ...(request.reasoning ? ['reasoning.encrypted_content'] : []),
    ...(request.hostedInclude ?? []),
  ];
  return include.length > 0 ? { include: include as ResponseIncludable[] } : {};
}
