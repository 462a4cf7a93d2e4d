import type { StopReason } from '@anthropic-ai/sdk/resources/messages';
import type { FinishReason } from '../model-provider.js';

/**
 * Maps Anthropic's `stop_reason` to OpenAI's finish reasons. `pause_turn` only follows server tools
 * (the web search): the answer so far is the answer, since continuing the turn would mean sending the
 * search blocks back, which Berth does not keep (docs/compatibility.md). An unknown or missing reason (a newer API, a lenient proxy) reads as a
 * normal stop rather than failing a turn that did complete.
 */
export function mapAnthropicStopReason(stopReason: StopReason | null | undefined): FinishReason {
  switch (stopReason) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
    case null:
    case undefined:
      return 'stop';
    default:
      return 'stop';
  }
}
