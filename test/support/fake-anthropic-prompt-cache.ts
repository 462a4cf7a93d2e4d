import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

/** The smallest prefix Anthropic caches for Sonnet and Opus models, in tokens; shorter ones are not. */
export const anthropicMinimumCacheableTokens = 1024;
/** How many blocks before a breakpoint Anthropic looks for an earlier cache entry. */
const lookbackBlocks = 20;
const maxBreakpoints = 4;

/** The cache counters of a Messages `usage` object. */
export interface AnthropicCacheUsage {
  readonly input_tokens: number;
  readonly cache_creation_input_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation: {
    readonly ephemeral_5m_input_tokens: number;
    readonly ephemeral_1h_input_tokens: number;
  };
}

/**
 * Anthropic's prompt cache as a fake upstream needs it: prefixes ending at `cache_control` breakpoints
 * are remembered (by a hash of the canonical prefix, per model), and a later request whose prefix
 * matches one, at a breakpoint or up to 20 blocks before one, reads it. Entries never expire: no test
 * waits five minutes.
 */
export interface FakeAnthropicPromptCache {
  /** The 400 message Anthropic gives for the request's `cache_control` markers, or null when valid. */
  findInvalidBreakpoints(body: Json): string | null;
  /**
   * Reads and writes the cache for one request of about `estimatedTokens` input tokens and says how
   * they split into cache reads, cache writes and uncached input, as Anthropic's `usage` reports them.
   */
  use(body: Json, estimatedTokens: number): AnthropicCacheUsage;
}

/** One block of the prefix in Anthropic's order (tools, system, messages), without its marker. */
interface PrefixBlock {
  readonly location: string;
  readonly type: unknown;
  readonly emptyText: boolean;
  readonly cacheControl: Json | null;
  /** The hash of the canonical prefix up to and including this block. */
  readonly hash: string;
  /** Estimated tokens of the prefix up to and including this block. */
  readonly prefixTokens: number;
}

export function createFakeAnthropicPromptCache(): FakeAnthropicPromptCache {
  /** Hashes of the cached prefixes. */
  const entries = new Set<string>();

  return {
    findInvalidBreakpoints(body) {
      return findInvalidBreakpoints(prefixBlocks(body));
    },

    use(body, estimatedTokens) {
      const blocks = prefixBlocks(body);
      // The two estimates differ by a few characters of framing; a prefix never exceeds the whole.
      const totalTokens = Math.max(estimatedTokens, blocks.at(-1)?.prefixTokens ?? 0);
      const breakpoints = blocks.flatMap((block, index) => (block.cacheControl === null ? [] : [index]));
      const read = longestCachedPrefix(blocks, breakpoints, entries);
      const readTokens = read === -1 ? 0 : (blocks[read]?.prefixTokens ?? 0);
      const written = { '5m': 0, '1h': 0 };
      let writtenUpTo = readTokens;
      for (const index of breakpoints.filter((breakpoint) => breakpoint > read)) {
        const block = blocks[index];
        if (block === undefined || block.prefixTokens < anthropicMinimumCacheableTokens) continue;
        entries.add(block.hash);
        written[ttlOf(block.cacheControl)] += block.prefixTokens - writtenUpTo;
        writtenUpTo = block.prefixTokens;
      }
      const writeTokens = written['5m'] + written['1h'];
      return {
        input_tokens: totalTokens - readTokens - writeTokens,
        cache_creation_input_tokens: writeTokens,
        cache_read_input_tokens: readTokens,
        cache_creation: {
          ephemeral_5m_input_tokens: written['5m'],
          ephemeral_1h_input_tokens: written['1h'],
        },
      };
    },
  };
}

/** The block index of the longest cached prefix a breakpoint (or its lookback window) reaches, or -1. */
function longestCachedPrefix(
  blocks: readonly PrefixBlock[],
  breakpoints: readonly number[],
  entries: ReadonlySet<string>,
): number {
  let longest = -1;
  for (const breakpoint of breakpoints) {
    const oldest = Math.max(longest + 1, breakpoint - lookbackBlocks, 0);
    for (let index = breakpoint; index >= oldest; index -= 1) {
      if (entries.has(blocks[index]?.hash ?? '')) {
        longest = index;
        break;
      }
    }
  }
  return longest;
}

function ttlOf(cacheControl: Json | null): '5m' | '1h' {
  return cacheControl?.['ttl'] === '1h' ? '1h' : '5m';
}

function findInvalidBreakpoints(blocks: readonly PrefixBlock[]): string | null {
  const marked = blocks.filter((block) => block.cacheControl !== null);
  if (marked.length > maxBreakpoints) {
    return `A maximum of ${maxBreakpoints} blocks with cache_control may be provided. Found ${marked.length}.`;
  }
  let seenShortTtl = false;
  for (const block of marked) {
    const cacheControl = block.cacheControl ?? {};
    if (cacheControl['type'] !== 'ephemeral') {
      return `${block.location}.cache_control.type: Input should be 'ephemeral'`;
    }
    const ttl = cacheControl['ttl'];
    if (ttl !== undefined && ttl !== '5m' && ttl !== '1h') {
      return `${block.location}.cache_control.ttl: Input should be '5m' or '1h'`;
    }
    if (block.type === 'thinking' || block.type === 'redacted_thinking') {
      return `${block.location}.${String(block.type)}.cache_control: Extra inputs are not permitted`;
    }
    if (block.emptyText) return `${block.location}.text: cache_control cannot be set for empty text blocks`;
    if (ttlOf(cacheControl) === '1h' && seenShortTtl) {
      return "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.";
    }
    if (ttlOf(cacheControl) === '5m') seenShortTtl = true;
  }
  return null;
}

/**
 * The request's prefix as Anthropic caches it: tool definitions, then system blocks, then each
 * message's blocks, each hashed together with everything before it. The markers themselves are left
 * out of the hash, so moving a breakpoint does not change what is cached; anything else that changes
 * (even the order of keys, which changes the tokens) does, as it would upstream.
 */
function prefixBlocks(body: Json): PrefixBlock[] {
  const parts: { location: string; value: Json; canonical: unknown }[] = [];
  const tools = Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : [];
  tools.filter(isJsonObject).forEach((tool, index) => {
    parts.push({ location: `tools.${index}`, value: tool, canonical: ['tool', withoutMarker(tool)] });
  });
  textBlocksOf(body['system']).forEach((block, index) => {
    parts.push({ location: `system.${index}`, value: block, canonical: ['system', withoutMarker(block)] });
  });
  const messages = Array.isArray(body['messages']) ? (body['messages'] as unknown[]) : [];
  messages.filter(isJsonObject).forEach((message, messageIndex) => {
    textBlocksOf(message['content']).forEach((block, index) => {
      // The role and where each message starts are part of the prefix, not only the blocks.
      const canonical = [message['role'], index === 0, withoutMarker(block)];
      parts.push({ location: `messages.${messageIndex}.content.${index}`, value: block, canonical });
    });
  });

  let hash = createHash('sha256').update(String(body['model'])).digest('hex');
  let characters = 0;
  return parts.map(({ location, value, canonical }) => {
    const text = JSON.stringify(canonical);
    hash = createHash('sha256').update(hash).update(text).digest('hex');
    characters += text.length;
    const marker = value['cache_control'];
    return {
      location,
      type: value['type'],
      emptyText: value['type'] === 'text' && value['text'] === '',
      cacheControl: isJsonObject(marker) ? marker : null,
      hash,
      prefixTokens: Math.ceil(characters / 4),
    };
  });
}

/** Content as blocks: a string is one text block, as Anthropic reads it. */
function textBlocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isJsonObject) : [];
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutMarker(block: Json): Json {
  const copy = { ...block };
  delete copy['cache_control'];
  return copy;
}
