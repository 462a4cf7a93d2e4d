import type { ModelRequest } from '../../providers/model-provider.js';

/**
 * A rough, local count of a request's context tokens (about four characters of its JSON per token),
 * for deciding whether to compact before a response's first model turn. Later turns use the tokens
 * the upstream reported for the turn before, which are exact. A local estimate costs no upstream call,
 * and the threshold is a budget, not a limit that must be met to the token.
 */
export function estimateContextTokens(request: ModelRequest): number {
  const characters = JSON.stringify(request.input).length + (request.instructions?.length ?? 0);
  return Math.ceil(characters / 4);
}
