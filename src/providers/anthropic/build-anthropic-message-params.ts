import type {
  MessageCountTokensParams,
  MessageCreateParamsBase,
  OutputConfig,
} from '@anthropic-ai/sdk/resources/messages';
import { BerthError } from '../../errors/berth-error.js';
import { functionToolsOnly } from '../function-tools-request.js';
import type { ModelRequest } from '../model-provider.js';
import { placeCacheBreakpoints } from './anthropic-cache-breakpoints.js';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.js';
import { mapAnthropicTokenSettings } from './map-anthropic-thinking.js';
import { mapAnthropicTools } from './map-anthropic-tools.js';
import { toolsForHistory } from './history-tool-definitions.js';

/** A Messages API request body, before `stream` is chosen. */
export type AnthropicMessageParams = Omit<MessageCreateParamsBase, 'stream'>;

/**
 * Anthropic API version 2026-10-21 (the one the installed SDK sends) removed the sampling parameters
 * and answers 400 even for default values; saying so here names the field the client must drop.
 */
function rejectSamplingParameters(request: ModelRequest): void {
  const sampling = [
    ['temperature', request.temperature],
    ['top_p', request.topP],
  ] as const;
  for (const [param, value] of sampling) {
    if (value !== null) {
      throw new BerthError(
        'unsupported_parameter',
        `Unsupported parameter: '${param}' is not supported by Anthropic models (Messages API version 2026-10-21). Omit it.`,
        { param },
      );
    }
  }
}

/** Maps `text.format` onto Anthropic's native structured outputs (`output_config.format`). */
function mapOutputConfig(request: ModelRequest): OutputConfig | undefined {
  const format = request.textFormat;
  if (format === null || format.type === 'text') return undefined;
  if (format.type === 'json_schema') return { format: { type: 'json_schema', schema: format.schema } };
  // Anthropic's structured outputs need a schema; there is no "any JSON object" mode to map onto.
  throw new BerthError(
    'unsupported_parameter',
    "text.format of type 'json_object' is not supported by Anthropic models; use 'json_schema' with a schema.",
    { param: 'text.format' },
  );
}

/** How the provider was configured to build requests. */
export interface AnthropicRequestOptions {
  /** Place prompt-cache breakpoints (the provider's `promptCaching` setting, on by default). */
  readonly promptCaching: boolean;
}

/**
 * Converts a ModelRequest into a Messages API request body; custom tools, which Anthropic lacks, arrive
 * as tools of one string input (`withCustomToolsAsFunctions`). Throws a 400 BerthError for what Anthropic
 * cannot express, before anything is sent.
 */
export function buildAnthropicMessageParams(
  modelRequest: ModelRequest,
  options: AnthropicRequestOptions,
): AnthropicMessageParams {
  const request = functionToolsOnly(modelRequest);
  rejectSamplingParameters(request);
  const outputConfig = mapOutputConfig(request);
  const converted = convertToAnthropicMessages(request.instructions, request.input);
  const offered = mapAnthropicTools(request);
  const { tools: convertedTools, toolChoice } =
    offered.tools === undefined ? (toolsForHistory(converted.messages) ?? offered) : offered;
  const { system, tools, messages } = placeCacheBreakpoints(
    {
      messages: converted.messages,
      ...(converted.system === undefined ? {} : { system: converted.system }),
      ...(convertedTools === undefined ? {} : { tools: convertedTools }),
    },
    options.promptCaching ? request.promptCache : null,
  );
  const { maxTokens, thinking } = mapAnthropicTokenSettings(request.reasoning, request.maxOutputTokens);
  return {
    model: request.model,
    max_tokens: maxTokens,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(tools === undefined ? {} : { tools }),
    ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
    ...(thinking === undefined ? {} : { thinking }),
    ...(outputConfig === undefined ? {} : { output_config: outputConfig }),
  };
}

/** The fields of a Messages request that the token counter takes (it has no `max_tokens`). */
export function toCountTokensParams(params: AnthropicMessageParams): MessageCountTokensParams {
  const { model, messages, system, tools, tool_choice, thinking, output_config } = params;
  return {
    model,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(tools === undefined ? {} : { tools }),
    ...(tool_choice === undefined ? {} : { tool_choice }),
    ...(thinking === undefined ? {} : { thinking }),
    ...(output_config === undefined ? {} : { output_config }),
  };
}
