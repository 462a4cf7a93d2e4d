import { unixSeconds, type Clock } from '../../clock.js';
import { prepareResponse, type PrepareDependencies } from '../prepare-response.js';
import { toUsage } from '../response-object.js';
import { BerthError } from '../../errors/berth-error.js';
import type { JsonObject } from '../../store/store.js';
import { parseRequest } from '../../validation/parse-request.js';
import { responseCompactParamsSchema } from './response-compact-params.js';
import { summarizeForCompaction } from './summarize-for-compaction.js';

export interface CompactDependencies extends PrepareDependencies {
  readonly clock: Clock;
}

/**
 * `POST /v1/responses/compact`, independent of HTTP: the context (`previous_response_id`, then
 * `input`) is validated and loaded exactly as a create request's would be, summarised by the named
 * model, and answered as OpenAI's `CompactedResponse`: every user message, then one compaction item.
 * Nothing is stored: the client carries the result forward as the next request's input.
 *
 * @example
 * const compacted = await compactConversation(projectId, { model: 'oai/gpt-5', input }, dependencies, signal);
 * // { id, object: 'response.compaction', created_at, output: [...userMessages, compactionItem], usage }
 */
export async function compactConversation(
  projectId: string,
  body: unknown,
  dependencies: CompactDependencies,
  signal: AbortSignal,
): Promise<JsonObject> {
  const {
    model,
    input,
    instructions,
    previous_response_id: previousResponseId,
  } = parseRequest(responseCompactParamsSchema, body);
  if (model === null) {
    throw new BerthError('missing_required_parameter', "Missing required parameter: 'model'.", {
      param: 'model',
    });
  }
  const prepared = await prepareResponse(
    {
      model,
      ...(input === null || input === undefined ? {} : { input }),
      instructions: instructions ?? null,
      previous_response_id: previousResponseId ?? null,
    },
    projectId,
    dependencies,
  );
  const items = [...prepared.contextItems, ...prepared.inputItems];
  if (items.length === 0) {
    throw new BerthError(
      'invalid_value',
      'There is nothing to compact: send the conversation as input, or a previous_response_id.',
      { param: 'input' },
    );
  }
  const createdAt = unixSeconds(dependencies.clock);
  const result = await summarizeForCompaction(items, {
    resolved: prepared.resolved,
    model,
    projectId,
    instructions: instructions ?? null,
    sealer: dependencies.compactionSealer,
    ids: dependencies.ids,
    clock: dependencies.clock,
    signal,
  });
  return {
    id: dependencies.ids.next('resp'),
    object: 'response.compaction',
    created_at: createdAt,
    output: [...result.keptUserMessages.map((entry) => entry.item), result.compactionItem.item],
    usage: toUsage(result.usage),
  };
}
