import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import { functionToolsOnly } from '../function-tools-request.js';
import type { ModelRequest } from '../model-provider.js';
import { convertToChatMessages } from './convert-to-chat-messages.js';
import { convertToChatResponseFormat } from './convert-to-chat-response-format.js';
import { convertToChatTools } from './convert-to-chat-tools.js';

/** The body of a Chat Completions request, before the streaming fields are added. */
export type ChatCompletionRequestBody = Omit<ChatCompletionCreateParamsBase, 'stream' | 'stream_options'>;

/**
 * Builds the Chat Completions request for one turn. Unset options are left out rather than sent as
 * `null`, because several compatible servers validate strictly and reject `null` for numbers.
 * Custom tools, which the protocol lacks, arrive as functions (`withCustomToolsAsFunctions`). Throws a 400
 * `BerthError` for anything the protocol cannot express.
 */
export function buildChatCompletionRequest(modelRequest: ModelRequest): ChatCompletionRequestBody {
  const request = functionToolsOnly(modelRequest);
  const responseFormat = convertToChatResponseFormat(request.textFormat);
  const reasoningEffort = request.reasoning?.effort;
  return {
    model: request.model,
    messages: convertToChatMessages(request.instructions, request.input),
    ...convertToChatTools(request),
    ...(request.temperature === null ? {} : { temperature: request.temperature }),
    ...(request.topP === null ? {} : { top_p: request.topP }),
    ...(request.presencePenalty === null ? {} : { presence_penalty: request.presencePenalty }),
    ...(request.frequencyPenalty === null ? {} : { frequency_penalty: request.frequencyPenalty }),
    // `max_tokens`, not `max_completion_tokens`: OpenAI deprecated the former, but Ollama, llama.cpp,
    // LM Studio and older vLLM only know `max_tokens`, and OpenAI still accepts it for non-o-series models.
    ...(request.maxOutputTokens === null ? {} : { max_tokens: request.maxOutputTokens }),
    ...(responseFormat === undefined ? {} : { response_format: responseFormat }),
    // `reasoning.summary` has no Chat counterpart: servers that reason send their reasoning text anyway.
    ...(reasoningEffort == null ? {} : { reasoning_effort: reasoningEffort }),
  };
}
