/** Cursor pagination exactly as OpenAI's lists: `after` is the id of the last item already seen. */
export interface PageRequest {
  /** The id of the last entry of the previous page; absent for the first page. */
  readonly after?: string | undefined;
  /** The most entries the page may hold. */
  readonly limit: number;
  /** `asc` is oldest first, `desc` newest first. */
  readonly order: 'asc' | 'desc';
}

/** One page of a list. */
export interface Page<T> {
  /** The entries, in the requested order. */
  readonly data: readonly T[];
  /** True when entries follow the last one of `data`. */
  readonly hasMore: boolean;
}
