import type {
  CacheControlEphemeral,
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  TextBlockParam,
  ToolUnion,
} from '@anthropic-ai/sdk/resources/messages';
import type { PromptCacheRetention, PromptCacheSettings } from '../model-provider.js';

/** The parts of a Messages request that form its cacheable prefix, in Anthropic's order. */
export type AnthropicCachePrompt = Pick<MessageCreateParamsBase, 'tools' | 'system' | 'messages'>;

/** Anthropic accepts at most four blocks with `cache_control` in one request (more is a 400). */
export const maxCacheBreakpoints = 4;

/**
 * Marks where Anthropic should cache the request's prefix. Unlike OpenAI, Anthropic caches nothing
 * unless asked, and an agent loop resends its whole context on every turn, so without breakpoints a
 * long tool loop pays full price for the same tokens again and again. Breakpoints go on:
 *
 * 1. the last tool definition and 2. the last system block: tools and instructions rarely change
 *    within a conversation and are shared by every conversation that uses them;
 * 3. the last cacheable block of the final message: the whole conversation so far, which the next
 *    turn (of this tool loop, or a `previous_response_id` follow-up) starts with;
 * 4. the last cacheable block of the user message before it: where the previous request put its
 *    breakpoint 3, so the turn reads that entry exactly. Anthropic looks for earlier entries only
 *    about 20 blocks back from a breakpoint, and a turn of many parallel tool calls adds more.
 *
 * Whether to place them at all is decided by the caller (see `docs/decisions.md`): null settings
 * mean a request no later one will share a prefix with, and the prompt is returned unchanged.
 * Nothing is mutated: shared definitions (the bash tool) are copied before they are marked.
 *
 * @example
 * const prompt = placeCacheBreakpoints({ tools, system, messages }, request.promptCache);
 */
export function placeCacheBreakpoints(
  prompt: AnthropicCachePrompt,
  settings: PromptCacheSettings | null,
): AnthropicCachePrompt {
  if (settings === null) return prompt;
  const cacheControl = cacheControlFor(settings.retention);
  const tools = markLastTool(prompt.tools ?? [], cacheControl);
  const system = markSystem(prompt.system, cacheControl);
  const used = (tools === null ? 0 : 1) + (system === null ? 0 : 1);
  const messages = markConversation(prompt.messages, cacheControl, maxCacheBreakpoints - used);
  return {
    messages,
    ...(prompt.tools === undefined ? {} : { tools: tools ?? prompt.tools }),
    ...(prompt.system === undefined ? {} : { system: system ?? prompt.system }),
  };
}

/**
 * `24h` asks for the longest retention there is; Anthropic's longest is one hour (writes cost 2× the
 * input price instead of 1.25×, which is why it is used only when asked). Otherwise the default
 * five minutes, refreshed by every read, which a running tool loop keeps alive.
 */
export function cacheControlFor(retention: PromptCacheRetention | null): CacheControlEphemeral {
  return retention === '24h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
}

/** A copy of `tools` with the last one marked, or null when there are none. */
function markLastTool(tools: readonly ToolUnion[], cacheControl: CacheControlEphemeral): ToolUnion[] | null {
  const last = tools.length - 1;
  if (last < 0) return null;
  return tools.map((tool, index) => (index === last ? { ...tool, cache_control: cacheControl } : tool));
}

/**
 * The system prompt with its last block marked, or null when it has nothing to mark. It takes
 * `cache_control` only in block form, so a string becomes one text block.
 */
function markSystem(
  system: string | readonly TextBlockParam[] | undefined,
  cacheControl: CacheControlEphemeral,
): TextBlockParam[] | null {
  if (system === undefined || system === '') return null;
  if (typeof system === 'string') return [{ type: 'text', text: system, cache_control: cacheControl }];
  return markLastCacheable(system, cacheControl) ?? null;
}

/** Breakpoints 3 and 4: the final message, then the previous user message, while the budget lasts. */
function markConversation(
  messages: readonly MessageParam[],
  cacheControl: CacheControlEphemeral,
  budget: number,
): MessageParam[] {
  const marked = [...messages];
  let remaining = budget;
  for (const index of conversationTargets(messages)) {
    if (remaining === 0) break;
    const message = marked[index];
    // Berth sends instructions in `system`, never as system-role messages.
    if (message === undefined || message.role === 'system') continue;
    const content = markMessageContent(message.content, cacheControl);
    if (content === undefined) continue;
    marked[index] = { role: message.role, content };
    remaining -= 1;
  }
  return marked;
}

/** The final message, then the last user message before it (where the previous turn ended). */
function conversationTargets(messages: readonly MessageParam[]): number[] {
  const final = messages.length - 1;
  if (final < 0) return [];
  let previous = final - 1;
  while (previous >= 0 && messages[previous]?.role !== 'user') previous -= 1;
  return previous >= 0 ? [final, previous] : [final];
}

function markMessageContent(
  content: string | readonly ContentBlockParam[],
  cacheControl: CacheControlEphemeral,
): ContentBlockParam[] | undefined {
  if (typeof content === 'string') {
    return content === '' ? undefined : [{ type: 'text', text: content, cache_control: cacheControl }];
  }
  return markLastCacheable(content, cacheControl);
}

/**
 * A copy of `blocks` with the last block that may carry `cache_control` marked, or undefined when
 * none may. Anthropic refuses `cache_control` on thinking blocks (they are cached as part of the
 * turn around them) and on empty text blocks.
 */
function markLastCacheable<Block extends ContentBlockParam>(
  blocks: readonly Block[],
  cacheControl: CacheControlEphemeral,
): Block[] | undefined {
  for (let index = blocks.length - 1; index >= 0; index -= 1) {
    const block = blocks[index];
    if (block === undefined || !acceptsCacheControl(block)) continue;
    const marked = [...blocks];
    marked[index] = { ...block, cache_control: cacheControl };
    return marked;
  }
  return undefined;
}

function acceptsCacheControl(block: ContentBlockParam): boolean {
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return false;
  return block.type !== 'text' || block.text !== '';
}
