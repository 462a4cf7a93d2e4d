import type { FinishReason } from '../model-provider.js';

/**
 * Maps a Chat Completions `finish_reason` to ours. Compatible servers are loose here, so:
 * - a missing `finish_reason` (some llama.cpp and LM Studio builds never send one) means the reply
 *   simply ended;
 * - Ollama and Gemini's compatibility endpoint answer `stop` even when the reply is tool calls, so
 *   tool calls win over `stop`;
 * - the legacy `function_call` is the old name of `tool_calls`;
 * - values of a server's own (vLLM `abort`, OpenRouter `error`) end the reply as it stands.
 */
export function mapChatFinishReason(reason: string | null | undefined, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'stop':
    case null:
    case undefined:
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
