import type { ModelUsage } from '../providers/model-provider.js';
import type { ResponseStatus } from '../store/store.js';
import type { PreparedResponse } from './prepare-response.js';
import { isHostedToolType } from './hosted-tools.js';
import { isPatchOrLocalShellTool } from './patch-and-local-shell-tools.js';
import { canonicalRetention } from './prompt-cache-settings.js';

/** The OpenAI Response object while Berth builds it. */
export type ResponseBody = Record<string, unknown> & {
  id: string;
  status: ResponseStatus;
  output: unknown[];
};

/**
 * The Response object for a new response: every field OpenAI sends, echoing the request's settings
 * with OpenAI's defaults, so clients that read any of them see what they would see from OpenAI.
 */
export function createResponseBody(
  prepared: PreparedResponse,
  id: string,
  createdAt: number,
  status: ResponseStatus,
): ResponseBody {
  const { params } = prepared;
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: prepared.background,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: params.instructions ?? null,
    max_output_tokens: params.max_output_tokens ?? null,
    max_tool_calls: params.max_tool_calls ?? null,
    model: params.model,
    output: [],
    parallel_tool_calls: params.parallel_tool_calls ?? true,
    previous_response_id: params.previous_response_id ?? null,
    conversation: prepared.conversationId === null ? null : { id: prepared.conversationId },
    prompt_cache_key: params.prompt_cache_key ?? null,
    // The API's spelling, whichever the client used: the Response type knows only `in_memory`.
    prompt_cache_retention: canonicalRetention(params.prompt_cache_retention),
    access_programs: null,
    reasoning: { effort: params.reasoning?.effort ?? null, summary: params.reasoning?.summary ?? null },
    safety_identifier: params.safety_identifier ?? null,
    service_tier: 'default',
    store: prepared.store,
    temperature: params.temperature ?? 1,
    text: { format: params.text?.format ?? { type: 'text' }, verbosity: params.text?.verbosity ?? 'medium' },
    tool_choice: params.tool_choice ?? 'auto',
    tools: echoedTools(prepared),
    top_logprobs: params.top_logprobs ?? 0,
    top_p: params.top_p ?? 1,
    presence_penalty: params.presence_penalty ?? 0,
    frequency_penalty: params.frequency_penalty ?? 0,
    truncation: params.truncation ?? 'disabled',
    usage: null,
    user: params.user ?? null,
    metadata: params.metadata ?? {},
  };
}

/** OpenAI's usage object from a provider's counts; cache counts an upstream does not report read as 0. */
export function toUsage(usage: ModelUsage): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: {
      cached_tokens: usage.cachedInputTokens ?? 0,
      cache_write_tokens: usage.cacheWriteInputTokens ?? 0,
    },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/**
 * The tools as the response shows them: in request order, function and custom tools in their full
 * form and the shell tool with its settled environment (`container_auto` becomes the
 * `container_reference` it created, so the client can reuse the container), hosted tools as the
 * client wrote them (those left out for the provider too).
 */
function echoedTools(prepared: PreparedResponse): unknown[] {
  const clientTools = [...prepared.tools];
  const namespaces = [...(prepared.grouped?.namespaces ?? [])];
  return (prepared.params.tools ?? []).map((tool, index) => {
    if (isHostedToolType(tool.type) || isPatchOrLocalShellTool(tool)) return tool;
    if (index === prepared.shellTool?.index) return prepared.shell?.echo ?? tool;
    if (tool.type === 'namespace') return namespaces.shift();
    if (tool.type === 'tool_search') return prepared.grouped?.toolSearch;
    return clientTools.shift();
  });
}
