import { NotFoundError } from 'openai';
import { createOpenAIClient } from '../create-openai-client.js';
import { UpstreamError } from '../../errors/berth-error.js';
import type { ModelEvent, ModelProvider, ModelRequest, ProviderSettings } from '../model-provider.js';
import {
  buildOpenAIInputTokenCountRequest,
  buildOpenAIResponsesRequest,
} from './build-openai-responses-request.js';
import { OpenAIResponsesEventMapper } from './openai-responses-event-mapper.js';
import {
  mappedStreamEventTypes,
  responseSchema,
  streamEventSchema,
  type StreamEvent,
} from './openai-responses-wire-schemas.js';
import { toOpenAIUpstreamError } from './to-openai-upstream-error.js';

/**
 * A ModelProvider for OpenAI's Responses API (`POST /v1/responses`) and servers that speak it, through
 * the official `openai` client. Requests are stateless (`store: false`): Berth sends the whole context
 * each turn and keeps reasoning as `encrypted_content`.
 *
 * @example
 * const openai = createOpenAIResponsesProvider({ name: 'openai', apiKey: process.env.OPENAI_API_KEY });
 * for await (const event of openai.stream(request, signal)) engine.apply(event);
 */
export function createOpenAIResponsesProvider(settings: ProviderSettings): ModelProvider {
  const { name } = settings;
  const client = createOpenAIClient(settings);

  async function* streamOpenAIResponses(
    request: ModelRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ModelEvent> {
    const body = buildOpenAIResponsesRequest(request);
    const mapper = new OpenAIResponsesEventMapper(name);
    let finish: ModelEvent | undefined;
    try {
      const events = await client.responses.create({ ...body, stream: true }, { signal });
      for await (const raw of events) {
        const event = parseStreamEvent(name, raw);
        for (const modelEvent of event ? mapper.map(event) : mapper.mapItemEvent(raw)) {
          // `finish` waits until the upstream closes the stream, so the connection ends cleanly
          // instead of being aborted mid-body when the consumer stops after `finish`.
          if (modelEvent.type === 'finish') finish = modelEvent;
          else yield modelEvent;
        }
      }
    } catch (error) {
      throw toOpenAIUpstreamError(name, error, signal);
    }
    // The SDK ends the iteration quietly when its request is aborted, so an abort is noticed here.
    if (signal.aborted) throw signal.reason;
    if (!finish) {
      throw new UpstreamError(name, `Provider '${name}' closed the stream before the response completed.`);
    }
    yield finish;
  }

  async function completeOpenAIResponses(
    request: ModelRequest,
    signal: AbortSignal,
  ): Promise<readonly ModelEvent[]> {
    const body = buildOpenAIResponsesRequest(request);
    let response: unknown;
    try {
      response = await client.responses.create({ ...body, stream: false }, { signal });
    } catch (error) {
      throw toOpenAIUpstreamError(name, error, signal);
    }
    const parsed = responseSchema.safeParse(response);
    if (!parsed.success) throw malformed(name, 'response');
    return new OpenAIResponsesEventMapper(name).mapResponse(parsed.data);
  }

  async function listOpenAIModels(signal: AbortSignal): Promise<readonly string[]> {
    const ids: string[] = [];
    try {
      for await (const model of client.models.list({ signal })) ids.push(model.id);
    } catch (error) {
      // Some Responses-compatible servers have no model list: that is "cannot say", not a failure.
      if (error instanceof NotFoundError) return [];
      throw toOpenAIUpstreamError(name, error, signal);
    }
    return ids;
  }

  async function countOpenAIInputTokens(request: ModelRequest, signal: AbortSignal): Promise<number> {
    const body = buildOpenAIInputTokenCountRequest(request);
    let counted: { input_tokens?: unknown };
    try {
      counted = await client.responses.inputTokens.count(body, { signal });
    } catch (error) {
      throw toOpenAIUpstreamError(name, error, signal);
    }
    if (typeof counted.input_tokens !== 'number') throw malformed(name, 'input token count');
    return counted.input_tokens;
  }

  return {
    name,
    kind: 'openai',
    stream: streamOpenAIResponses,
    complete: completeOpenAIResponses,
    listModels: listOpenAIModels,
    countInputTokens: countOpenAIInputTokens,
    // The client keeps no connections of its own: they live in the process-wide fetch pool.
    close: () => Promise.resolve(),
  };
}

/** The event in the adapter's terms, or null for event types it does not map. */
function parseStreamEvent(provider: string, raw: unknown): StreamEvent | null {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !mappedStreamEventTypes.has(type)) return null;
  const parsed = streamEventSchema.safeParse(raw);
  if (!parsed.success) throw malformed(provider, `'${type}' event`);
  return parsed.data;
}

function malformed(provider: string, what: string): UpstreamError {
  return new UpstreamError(provider, `Provider '${provider}' sent a malformed ${what}.`);
}
