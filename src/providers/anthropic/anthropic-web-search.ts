import type {
  TextCitation,
  ToolChoice,
  UserLocation,
  WebSearchTool20250305,
  WebSearchToolResultBlockContent,
} from '@anthropic-ai/sdk/resources/messages';
import type { HostedTool, ModelEvent } from '../model-provider.js';

/** The name Anthropic's server-side web search goes by in `server_tool_use` blocks and `tool_choice`. */
export const anthropicWebSearchName = 'web_search';

/**
 * OpenAI's `web_search` (or `web_search_preview`) as Anthropic's server-side web search tool: the
 * first one the request offers. `filters.allowed_domains` and `user_location` have equivalents and
 * are sent; `search_context_size` has none and is left out (Anthropic decides how much it reads).
 * The 2025-03-05 version is the one every Anthropic model with web search accepts.
 */
export function anthropicWebSearchTool(
  hostedTools: readonly HostedTool[] | undefined,
): WebSearchTool20250305 | null {
  const tool = hostedTools?.find((candidate) => candidate.type.startsWith('web_search'));
  if (!tool) return null;
  const filters = asRecord(tool['filters']);
  const allowedDomains = stringList(filters?.['allowed_domains']);
  const userLocation = userLocationOf(tool['user_location']);
  return {
    type: 'web_search_20250305',
    name: anthropicWebSearchName,
    ...(allowedDomains.length > 0 ? { allowed_domains: allowedDomains } : {}),
    ...(userLocation ? { user_location: userLocation } : {}),
  };
}

/** `tool_choice` forcing the web search: Anthropic's choice of its tool by name. */
export function anthropicWebSearchChoice(parallel: { disable_parallel_tool_use?: boolean }): ToolChoice {
  return { type: 'tool', name: anthropicWebSearchName, ...parallel };
}

function userLocationOf(value: unknown): UserLocation | null {
  const location = asRecord(value);
  if (!location) return null;
  const fields = ['city', 'country', 'region', 'timezone'] as const;
  const mapped: UserLocation = { type: 'approximate' };
  for (const field of fields) {
    const fieldValue = location[field];
    if (typeof fieldValue === 'string' && fieldValue !== '') mapped[field] = fieldValue;
  }
  return Object.keys(mapped).length > 1 ? mapped : null;
}

/**
 * Anthropic's web searches of one turn as OpenAI's `web_search_call` items. A search is a
 * `server_tool_use` block (the query, as tool input) followed by a `web_search_tool_result` block
 * (the pages found, or an error); each becomes one item that starts with the first block and is done
 * with the second, streaming OpenAI's `in_progress`, `searching` and `completed` events on the way.
 */
export class AnthropicWebSearches {
  /** Queries by the `server_tool_use` id, for the result block that answers it. */
  readonly #queries = new Map<string, string | null>();

  /** A `server_tool_use` of the web search starts: the item, in progress. */
  started(toolUseId: string): ModelEvent[] {
    this.#queries.set(toolUseId, null);
    const id = partId(toolUseId);
    return [
      {
        type: 'hosted-item-start',
        id,
        item: { type: 'web_search_call', status: 'in_progress', action: { type: 'search' } },
      },
      { type: 'hosted-item-event', id, event: { type: 'response.web_search_call.in_progress' } },
    ];
  }

  /** The `server_tool_use` block is complete: its input says the query. */
  searching(toolUseId: string, input: unknown): ModelEvent[] {
    const query = asRecord(input)?.['query'];
    this.#queries.set(toolUseId, typeof query === 'string' ? query : null);
    return [
      {
        type: 'hosted-item-event',
        id: partId(toolUseId),
        event: { type: 'response.web_search_call.searching' },
      },
    ];
  }

  /** The `web_search_tool_result` block: the item is done, with the pages found as its sources. */
  result(toolUseId: string, content: WebSearchToolResultBlockContent): ModelEvent[] {
    const events: ModelEvent[] = this.#queries.has(toolUseId) ? [] : this.started(toolUseId);
    const query = this.#queries.get(toolUseId) ?? null;
    this.#queries.delete(toolUseId);
    const id = partId(toolUseId);
    const failed = !Array.isArray(content);
    const sources = failed ? [] : content.map((page) => ({ type: 'url', url: page.url }));
    events.push(
      ...(failed
        ? []
        : [
            { type: 'hosted-item-event' as const, id, event: { type: 'response.web_search_call.completed' } },
          ]),
      {
        type: 'hosted-item-done',
        id,
        item: {
          type: 'web_search_call',
          status: failed ? 'failed' : 'completed',
          action: {
            type: 'search',
            ...(query === null ? {} : { query }),
            ...(sources.length > 0 ? { sources } : {}),
          },
        },
      },
    );
    return events;
  }

  /** Searches whose result never came (a cut-off turn): done as they stand, so `finish` comes last. */
  unfinished(): ModelEvent[] {
    return [...this.#queries.keys()].flatMap((toolUseId) => this.result(toolUseId, failedSearch));
  }
}

const failedSearch: WebSearchToolResultBlockContent = {
  type: 'web_search_tool_result_error',
  error_code: 'unavailable',
};

/**
 * A text block's web search citations as OpenAI's `url_citation` annotations. Anthropic cites for a
 * whole text block, which is one `output_text` part, so each spans the part's text: from 0 to its
 * length. Other citation kinds (documents, search results Berth never sends) are left out.
 */
export function urlCitationsOf(citations: readonly TextCitation[], textLength: number): object[] {
  return citations.flatMap((citation) =>
    citation.type === 'web_search_result_location'
      ? [
          {
            type: 'url_citation',
            url: citation.url,
            title: citation.title ?? citation.url,
            start_index: 0,
            end_index: textLength,
          },
        ]
      : [],
  );
}

function partId(toolUseId: string): string {
  return `web-search-${toolUseId}`;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}
