import type {
  RawContentBlockDeltaEvent,
  RawContentBlockStartEvent,
  RawMessageStreamEvent,
  StopReason,
  TextCitation,
} from '@anthropic-ai/sdk/resources/messages';
import { UpstreamError } from '../../errors/berth-error.js';
import type { ModelEvent } from '../model-provider.js';
import { anthropicBashToolName, bashInputToShellAction } from './anthropic-bash-tool.js';
import { AnthropicWebSearches, anthropicWebSearchName, urlCitationsOf } from './anthropic-web-search.js';
import { encodeRedactedThinking, encodeThinkingSignature } from './anthropic-thinking-content.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import {
  mapAnthropicUsage,
  mergeAnthropicUsage,
  type AnthropicUsageCounters,
} from './map-anthropic-usage.js';

/** A content block the stream has started and not yet stopped. */
type OpenBlock =
  /** `length` and `citations` make the text's `url_citation` annotations when it ends. */
  | { readonly kind: 'text'; readonly id: string; length: number; readonly citations: TextCitation[] }
  | { readonly kind: 'web-search'; readonly id: string; json: string; readonly startInput: unknown }
  | { readonly kind: 'reasoning'; readonly id: string; signature: string }
  | { readonly kind: 'tool'; readonly id: string; json: string }
  | { readonly kind: 'shell'; readonly id: string; json: string; readonly startInput: unknown };

/** How the turn's tools were offered, which decides what a tool_use is. */
export interface AnthropicEventOptions {
  /** True when the bash tool stands for Berth's shell tool: a `bash` tool_use is then a shell call. */
  readonly shellTool: boolean;
}

function startBlock(
  event: RawContentBlockStartEvent,
  options: AnthropicEventOptions,
  searches: AnthropicWebSearches,
): { block: OpenBlock | null; events: ModelEvent[] } {
  const id = `block-${event.index}`;
  const content = event.content_block;
  if (content.type === 'text') {
    const events: ModelEvent[] = [{ type: 'text-start', id }];
    if (content.text) events.push({ type: 'text-delta', id, delta: content.text });
    const citations = [...(content.citations ?? [])];
    const length = content.text ? content.text.length : 0;
    return { block: { kind: 'text', id, length, citations }, events };
  }
  if (content.type === 'server_tool_use' && content.name === anthropicWebSearchName) {
    // The query streams as partial JSON, like a tool's input; it is known whole when the block stops.
    return {
      block: { kind: 'web-search', id: content.id, json: '', startInput: content.input },
      events: searches.started(content.id),
    };
  }
  if (content.type === 'web_search_tool_result') {
    return { block: null, events: searches.result(content.tool_use_id, content.content) };
  }
  if (content.type === 'thinking') {
    const events: ModelEvent[] = [{ type: 'reasoning-start', id }];
    if (content.thinking) events.push({ type: 'reasoning-delta', id, delta: content.thinking });
    return { block: { kind: 'reasoning', id, signature: content.signature ?? '' }, events };
  }
  if (content.type === 'redacted_thinking') {
    // Opaque from the start: nothing to stream, only the data to hand back on the next turn.
    const encryptedContent = encodeRedactedThinking(content.data);
    return {
      block: null,
      events: [
        { type: 'reasoning-start', id },
        { type: 'reasoning-end', id, encryptedContent, sealState: true },
      ],
    };
  }
  if (content.type === 'tool_use' && options.shellTool && content.name === anthropicBashToolName) {
    // The input streams as partial JSON, so the command is only known, whole, when the block stops.
    return {
      block: { kind: 'shell', id, json: '', startInput: content.input },
      events: [{ type: 'shell-call-start', id, callId: content.id }],
    };
  }
  if (content.type === 'tool_use') {
    return {
      block: { kind: 'tool', id, json: '' },
      events: [{ type: 'tool-call-start', id, callId: content.id, name: content.name }],
    };
  }
  // Other server tools' blocks only follow server tools Berth never sends.
  return { block: null, events: [] };
}

function applyDelta(block: OpenBlock | undefined, event: RawContentBlockDeltaEvent): ModelEvent | null {
  const delta = event.delta;
  if (block === undefined) return null;
  if (block.kind === 'text' && delta.type === 'text_delta') {
    block.length += delta.text.length;
    return { type: 'text-delta', id: block.id, delta: delta.text };
  }
  if (block.kind === 'text' && delta.type === 'citations_delta') {
    block.citations.push(delta.citation);
    return null;
  }
  if (block.kind === 'web-search' && delta.type === 'input_json_delta') {
    block.json += delta.partial_json;
    return null;
  }
  if (block.kind === 'reasoning' && delta.type === 'thinking_delta') {
    return { type: 'reasoning-delta', id: block.id, delta: delta.thinking };
  }
  if (block.kind === 'reasoning' && delta.type === 'signature_delta') {
    block.signature += delta.signature;
    return null;
  }
  if (block.kind === 'shell' && delta.type === 'input_json_delta') {
    block.json += delta.partial_json;
    return null;
  }
  if (block.kind === 'tool' && delta.type === 'input_json_delta') {
    block.json += delta.partial_json;
    return delta.partial_json === ''
      ? null
      : { type: 'tool-call-delta', id: block.id, delta: delta.partial_json };
  }
  // Anything newer carries nothing Berth reports.
  return null;
}

function endBlock(block: OpenBlock, searches: AnthropicWebSearches): ModelEvent[] {
  switch (block.kind) {
    case 'text': {
      const annotations = urlCitationsOf(block.citations, block.length);
      return [{ type: 'text-end', id: block.id, ...(annotations.length > 0 ? { annotations } : {}) }];
    }
    case 'web-search':
      return searches.searching(block.id, shellInput(block));
    case 'reasoning':
      return [
        {
          type: 'reasoning-end',
          id: block.id,
          encryptedContent: block.signature === '' ? null : encodeThinkingSignature(block.signature),
          sealState: true,
        },
      ];
    case 'tool':
      // A call without arguments streams no JSON at all; its arguments are still an object.
      return [{ type: 'tool-call-end', id: block.id, arguments: block.json === '' ? '{}' : block.json }];
    case 'shell':
      return [{ type: 'shell-call-end', id: block.id, action: bashInputToShellAction(shellInput(block)) }];
  }
}

/**
 * The whole input of a bash tool_use (or a web search's server_tool_use): the streamed JSON, or the
 * start's input when none streamed.
 */
function shellInput(block: { json: string; startInput: unknown }): unknown {
  if (block.json === '') return block.startInput;
  try {
    return JSON.parse(block.json) as unknown;
  } catch {
    // Not JSON: an invalid call, which shows the model's text as it came.
    return block.json;
  }
}

/**
 * Converts Anthropic's raw Messages stream (as the SDK parses it) into ModelEvents. The events are
 * read leniently, since this is what an upstream sent: unknown event and block types are skipped
 * (the SDK passes unrecognised event names through), and missing usage fields count as zero. A stream
 * that ends without `message_stop` was cut off and fails the turn.
 */
export async function* convertAnthropicStreamEvents(
  events: AsyncIterable<RawMessageStreamEvent>,
  provider: string,
  options: AnthropicEventOptions,
): AsyncGenerator<ModelEvent> {
  const openBlocks = new Map<number, OpenBlock>();
  const searches = new AnthropicWebSearches();
  let usage: AnthropicUsageCounters = {};
  let stopReason: StopReason | null = null;
  let stopped = false;
  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        usage = mergeAnthropicUsage(usage, event.message.usage ?? {});
        break;
      case 'content_block_start': {
        const { block, events: started } = startBlock(event, options, searches);
        if (block !== null) openBlocks.set(event.index, block);
        yield* started;
        break;
      }
      case 'content_block_delta': {
        const modelEvent = applyDelta(openBlocks.get(event.index), event);
        if (modelEvent !== null) yield modelEvent;
        break;
      }
      case 'content_block_stop': {
        const block = openBlocks.get(event.index);
        if (block !== undefined) {
          openBlocks.delete(event.index);
          yield* endBlock(block, searches);
        }
        break;
      }
      case 'message_delta':
        stopReason = event.delta.stop_reason ?? stopReason;
        usage = mergeAnthropicUsage(usage, event.usage ?? {});
        break;
      case 'message_stop':
        stopped = true;
        break;
      default:
        break;
    }
  }
  if (!stopped) {
    throw new UpstreamError(provider, 'The Anthropic stream ended before its message_stop event.', {
      status: 502,
    });
  }
  // Every started part must end before `finish`, even if the upstream forgot a content_block_stop.
  for (const block of openBlocks.values()) yield* endBlock(block, searches);
  yield* searches.unfinished();
  yield { type: 'finish', reason: mapAnthropicStopReason(stopReason), usage: mapAnthropicUsage(usage) };
}
