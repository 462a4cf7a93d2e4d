import { NotFoundError } from 'openai';
import { createRandomIdGenerator } from '../../ids.js';
import type { ModelEvent, ModelProvider, ModelRequest, ProviderSettings } from '../model-provider.js';
import { buildChatCompletionRequest } from './build-chat-completion-request.js';
import { chatChunksToModelEvents } from './chat-chunks-to-model-events.js';
import { chatCompletionToModelEvents } from './chat-completion-to-model-events.js';
import { createOpenAIClient } from '../create-openai-client.js';
import { estimateChatInputTokens } from './estimate-chat-input-tokens.js';
import { toChatUpstreamError } from './to-chat-upstream-error.js';

/**
 * A provider for any OpenAI-compatible Chat Completions server: Ollama, vLLM, llama.cpp's server,
 * LM Studio, OpenRouter, Gemini's OpenAI-compatible endpoint (and OpenAI itself).
 *
 * @example
 * const provider = createOpenAIChatProvider({ name: 'local', baseURL: 'http://127.0.0.1:11434/v1' });
 * for await (const event of provider.stream(request, signal)) engine.apply(event);
 */
export function createOpenAIChatProvider(settings: ProviderSettings): ModelProvider {
  const client = createOpenAIClient(settings);
  const ids = createRandomIdGenerator();
  // Synthesized for servers that send tool calls without an id; the client needs one to answer.
  const newCallId = (): string => ids.next('call');
  const fail = (error: unknown, signal: AbortSignal): unknown =>
    toChatUpstreamError(settings.name, error, signal);

  /**
   * The SDK's chunks, ending in an abort error when the signal fired: the SDK ends an aborted
   * stream quietly, and the partial reply must not be reported as finished.
   */
  async function* chunksOf(request: ModelRequest, signal: AbortSignal): AsyncGenerator<unknown> {
    const stream = await client.chat.completions.create(
      {
        ...buildChatCompletionRequest(request),
        stream: true,
        // Without it OpenAI-style servers send no usage at all when streaming.
        stream_options: { include_usage: true },
      },
      { signal },
    );
    yield* stream;
    signal.throwIfAborted();
  }

  return {
    name: settings.name,
    kind: 'openai-chat',

    async *stream(request, signal) {
      try {
        yield* chatChunksToModelEvents(chunksOf(request, signal), {
          newCallId,
          shellTool: request.shellTool,
        });
      } catch (error) {
        throw fail(error, signal);
      }
    },

    async complete(request, signal): Promise<readonly ModelEvent[]> {
      try {
        const completion = await client.chat.completions.create(
          { ...buildChatCompletionRequest(request), stream: false },
          { signal },
        );
        return chatCompletionToModelEvents(completion, {
          newCallId,
          shellTool: request.shellTool,
        });
      } catch (error) {
        throw fail(error, signal);
      }
    },

    async listModels(signal) {
      try {
        const ids: string[] = [];
        for await (const model of client.models.list({ signal })) ids.push(model.id);
        return ids;
      } catch (error) {
        // Some compatible servers and proxies have no `/models` route: they cannot say.
        if (error instanceof NotFoundError) return [];
        throw fail(error, signal);
      }
    },

    countInputTokens(request, signal) {
      // Chat Completions has no counting endpoint: this is an estimate (see estimateChatInputTokens).
      // Built inside the promise so an inexpressible request rejects rather than throws.
      return new Promise<number>((resolve) => {
        signal.throwIfAborted();
        resolve(estimateChatInputTokens(buildChatCompletionRequest(request)));
      });
    },

    close() {
      // The SDK uses the process-wide fetch dispatcher; there is no connection pool of its own to close.
      return Promise.resolve();
    },
  };
}
