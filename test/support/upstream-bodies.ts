import type { FakeUpstream } from './scripted-turn.js';
import { withoutCacheControl } from './without-cache-control.js';

/**
 * The body a fake upstream received for one request, without Anthropic's `cache_control` markers (see
 * without-cache-control.ts), for exact comparisons in tests about something else.
 *
 * `index` counts as `Array.prototype.at` does: the last request by default, or the Nth after a mark
 * taken as `upstream.requests.length` before the call. Returns `{}` when there is no such request.
 */
export function upstreamBody(upstream: Pick<FakeUpstream, 'requests'>, index = -1): Record<string, unknown> {
  return withoutCacheControl(upstream.requests.at(index)?.body ?? {}) as Record<string, unknown>;
}
