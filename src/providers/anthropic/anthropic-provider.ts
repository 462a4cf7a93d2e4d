import Anthropic from '@anthropic-ai/sdk';
import type { ModelEvent, ModelProvider, ModelRequest, ProviderSettings } from '../model-provider.js';
import { buildAnthropicMessageParams, toCountTokensParams } from './build-anthropic-message-params.js';
import { convertAnthropicMessageEvents } from './convert-anthropic-message-events.js';
import { convertAnthropicStreamEvents } from './convert-anthropic-stream-events.js';
import { mapAnthropicError } from './map-anthropic-error.js';

/**
 * The SDK's own default timeout, passed explicitly: left unset, the SDK refuses non-streaming calls
 * whose `max_tokens` it expects to take over ten minutes, and a thinking budget gets there quickly.
 */
const defaultTimeoutMs = 10 * 60 * 1000;

/**
 * The Anthropic SDK appends `/v1/messages` itself, so its base URL is the bare origin. Operators used
 * to OpenAI-style base URLs often write `…/v1`, which would produce `/v1/v1/messages`.
 */
function normalizeBaseURL(baseURL: string | undefined): string {
  return baseURL === undefined ? 'https://api.anthropic.com' : baseURL.replace(/\/v1\/?$/, '');
}

/**
 * The official client, with every credential and the base URL given explicitly so the SDK reads
 * none from the environment or from local credential profiles (its default chain, which may even
 * switch the host): Berth's configuration already decided what this provider sends where, and an
 * operator's `ANTHROPIC_API_KEY` must not reach a proxy configured without a key. Without a key the
 * SDK would refuse to send; the `Authorization` header is dropped instead, and the upstream answers.
 */
function createAnthropicClient(settings: ProviderSettings): Anthropic {
  const keyless = !settings.apiKey;
  return new Anthropic({
    apiKey: settings.apiKey || 'no-api-key',
    baseURL: normalizeBaseURL(settings.baseURL),
    ...(keyless ? { defaultHeaders: { Authorization: null } } : {}),
    timeout: settings.timeoutMs ?? defaultTimeoutMs,
    maxRetries: settings.maxRetries ?? 2,
  });
}

/**
 * Creates a provider that runs turns against Anthropic's Messages API (`POST /v1/messages`) through
 * the official SDK.
 *
 * @example
 * const provider = createAnthropicProvider({ name: 'anthropic', apiKey: process.env.ANTHROPIC_API_KEY });
 * for await (const event of provider.stream(request, signal)) engine.apply(event);
 */
export function createAnthropicProvider(settings: ProviderSettings): ModelProvider {
  const client = createAnthropicClient(settings);
  const name = settings.name;
  // Cache breakpoints by default: a write costs 1.25× and a read 0.1×, so any tool loop or follow-up
  // pays for them from its second turn; prefixes too short to cache cost nothing (docs/decisions.md).
  const options = { promptCaching: settings.promptCaching ?? true };

  return {
    name,
    kind: 'anthropic',

    async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> {
      const params = buildAnthropicMessageParams(request, options);
      try {
        // Passing the signal to the SDK aborts its fetch, which closes the upstream connection.
        const upstream = await client.messages.create({ ...params, stream: true }, { signal });
        yield* convertAnthropicStreamEvents(upstream, name, {
          shellTool: request.shellTool,
        });
      } catch (error) {
        throw mapAnthropicError(name, error, signal);
      }
    },

    async complete(request: ModelRequest, signal: AbortSignal): Promise<readonly ModelEvent[]> {
      const params = buildAnthropicMessageParams(request, options);
      try {
        const message = await client.messages.create({ ...params, stream: false }, { signal });
        return convertAnthropicMessageEvents(message, {
          shellTool: request.shellTool,
        });
      } catch (error) {
        throw mapAnthropicError(name, error, signal);
      }
    },

    async listModels(signal: AbortSignal): Promise<readonly string[]> {
      const ids: string[] = [];
      try {
        // The SDK follows `has_more`/`last_id` pagination; 1000 is the page size Anthropic allows.
        for await (const model of client.models.list({ limit: 1000 }, { signal })) ids.push(model.id);
      } catch (error) {
        throw mapAnthropicError(name, error, signal);
      }
      return ids;
    },

    async countInputTokens(request: ModelRequest, signal: AbortSignal): Promise<number> {
      const params = toCountTokensParams(buildAnthropicMessageParams(request, options));
      try {
        const counted = await client.messages.countTokens(params, { signal });
        return counted.input_tokens;
      } catch (error) {
        throw mapAnthropicError(name, error, signal);
      }
    },

    close(): Promise<void> {
      // The SDK keeps no connections of its own: fetch's shared pool reuses and releases them.
      return Promise.resolve();
    },
  };
}
