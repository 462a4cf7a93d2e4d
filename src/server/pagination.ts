import { z } from 'zod';
import { parseRequest } from '../validation/parse-request.js';

/** The cursor, size and order a list request may ask for (the OpenAPI document shows it too). */
export const pageQuerySchema = z.looseObject({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  order: z.enum(['asc', 'desc']).optional(),
});

/** Which page of a list a client asks for: what the services' `list…` methods take. */
export interface ListPage {
  /** The id of the last item of the page before (a cursor), or undefined for the first page. */
  readonly after: string | undefined;
  /** How many items, 1-100. */
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

/** `after`, `limit` (1-100, default 20) and `order` (default desc), as OpenAI's list endpoints take them. */
export function parsePageRequest(query: unknown, defaultOrder: 'asc' | 'desc' = 'desc'): ListPage {
  const parsed = parseRequest(pageQuerySchema, query ?? {});
  return { after: parsed.after, limit: parsed.limit ?? 20, order: parsed.order ?? defaultOrder };
}

/** OpenAI's list envelope for a page of items kept with their ids (response and conversation items). */
export function toListBody(page: {
  readonly data: readonly { readonly id: string; readonly item: object }[];
  readonly hasMore: boolean;
}): Record<string, unknown> {
  return {
    object: 'list',
    data: page.data.map((entry) => entry.item),
    first_id: page.data[0]?.id ?? null,
    last_id: page.data.at(-1)?.id ?? null,
    has_more: page.hasMore,
  };
}

/** OpenAI's list envelope for a page of objects that carry their own `id` (files, for example). */
export function toObjectListBody<T extends { readonly id: string }>(
  data: readonly T[],
  hasMore: boolean,
): Record<string, unknown> {
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}
