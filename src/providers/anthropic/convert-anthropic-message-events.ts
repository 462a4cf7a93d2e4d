import type { ContentBlock, Message } from '@anthropic-ai/sdk/resources/messages';
import type { ModelEvent } from '../model-provider.js';
import { anthropicBashToolName, bashInputToShellAction } from './anthropic-bash-tool.js';
import { AnthropicWebSearches, anthropicWebSearchName, urlCitationsOf } from './anthropic-web-search.js';
import { encodeRedactedThinking, encodeThinkingSignature } from './anthropic-thinking-content.js';
import type { AnthropicEventOptions } from './convert-anthropic-stream-events.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import { mapAnthropicUsage } from './map-anthropic-usage.js';

function blockEvents(
  block: ContentBlock,
  id: string,
  options: AnthropicEventOptions,
  searches: AnthropicWebSearches,
): ModelEvent[] {
  if (block.type === 'text') {
    const annotations = urlCitationsOf(block.citations ?? [], block.text.length);
    return [
      { type: 'text-start', id },
      ...(block.text === '' ? [] : [{ type: 'text-delta' as const, id, delta: block.text }]),
      { type: 'text-end', id, ...(annotations.length > 0 ? { annotations } : {}) },
    ];
  }
  if (block.type === 'server_tool_use' && block.name === anthropicWebSearchName) {
    return [...searches.started(block.id), ...searches.searching(block.id, block.input)];
  }
  if (block.type === 'web_search_tool_result') return searches.result(block.tool_use_id, block.content);
  if (block.type === 'thinking') {
    const encryptedContent = block.signature ? encodeThinkingSignature(block.signature) : null;
    return [
      { type: 'reasoning-start', id },
      ...(block.thinking === '' ? [] : [{ type: 'reasoning-delta' as const, id, delta: block.thinking }]),
      { type: 'reasoning-end', id, encryptedContent, sealState: true },
    ];
  }
  if (block.type === 'redacted_thinking') {
    return [
      { type: 'reasoning-start', id },
      { type: 'reasoning-end', id, encryptedContent: encodeRedactedThinking(block.data), sealState: true },
    ];
  }
  if (block.type === 'tool_use' && options.shellTool && block.name === anthropicBashToolName) {
    return [
      { type: 'shell-call-start', id, callId: block.id },
      { type: 'shell-call-end', id, action: bashInputToShellAction(block.input) },
    ];
  }
  if (block.type === 'tool_use') {
    const argumentsText = JSON.stringify(block.input ?? {});
    return [
      { type: 'tool-call-start', id, callId: block.id, name: block.name },
      { type: 'tool-call-delta', id, delta: argumentsText },
      { type: 'tool-call-end', id, arguments: argumentsText },
    ];
  }
  // Other server tools' blocks only follow server tools Berth never sends.
  return [];
}

/**
 * Converts a non-streaming Message into the events its stream would have produced, in content order.
 * Read leniently like the stream: unknown block types are skipped and missing usage counts as zero.
 */
export function convertAnthropicMessageEvents(
  message: Message,
  options: AnthropicEventOptions,
): ModelEvent[] {
  const searches = new AnthropicWebSearches();
  const events = (message.content ?? []).flatMap((block, index) =>
    blockEvents(block, `block-${index}`, options, searches),
  );
  events.push(...searches.unfinished());
  events.push({
    type: 'finish',
    reason: mapAnthropicStopReason(message.stop_reason),
    usage: mapAnthropicUsage(message.usage ?? {}),
  });
  return events;
}
