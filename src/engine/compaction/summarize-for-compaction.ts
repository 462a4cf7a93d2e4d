import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { unixSeconds, type Clock } from '../../clock.js';
import { UpstreamError } from '../../errors/berth-error.js';
import type { IdGenerator } from '../../ids.js';
import type { ModelRequest, ModelUsage } from '../../providers/model-provider.js';
import type { ResolvedModel } from '../../providers/provider-registry.js';
import type { StoredItem } from '../../store/store.js';
import { compactionTranscript } from './compaction-transcript.js';
import type { CompactionSealer } from './compaction-sealer.js';
import { isUserMessage, storedContextForModel } from './context-for-model.js';

/**
 * What the summarising model is told. The summary replaces the conversation, so it must hold whatever
 * the next turn would otherwise have read there.
 */
export const compactionInstructions = `You compact conversations between a user and an AI assistant that works with tools (a shell, functions, files).
The conversation you are given has grown too long for the assistant's context window. Write the summary that will replace it. The assistant will carry on from your summary alone, together with the user's own messages, which are kept word for word, so write down everything it needs to continue without repeating work or losing track:

- The user's goals and requirements, and any constraints or preferences they stated.
- What has been done so far and the current state of the work.
- Decisions made, and the reasons for them.
- Facts learned: results of commands and tool calls, errors met and how they were resolved, names, paths, versions and values that will be needed again.
- Files created, changed or deleted (with their paths), and anything else left in the environment, such as running processes or installed packages.
- Open tasks, unanswered questions, and the next step the assistant was about to take.

Be specific: keep exact identifiers, paths, commands, numbers and error messages. Be concise: leave out pleasantries, dead ends that no longer matter, and tool output that has served its purpose. Write plain notes addressed to the assistant. Answer with the summary only.`;

/** Everything a compaction needs besides the items: who summarises, for whom, and the tools to seal. */
export interface CompactionOptions {
  /** The provider and upstream model that summarise: the response's own model. */
  readonly resolved: ResolvedModel;
  /** The model as the client named it (`"<provider>/<model>"`), recorded in the sealed payload. */
  readonly model: string;
  readonly projectId: string;
  /** The response's instructions, shown to the summariser as the setting the work happened in. */
  readonly instructions: string | null;
  readonly sealer: CompactionSealer;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}

/** A compaction's result, in Berth's stored-item form. */
export interface CompactionResult {
  /** Every user message of the compacted items, oldest first, as they were. */
  readonly keptUserMessages: readonly StoredItem[];
  /** `{id:"cmp_…", type:"compaction", encrypted_content}`: the summary, sealed for the project. */
  readonly compactionItem: StoredItem;
  /** What the summarising call cost. */
  readonly usage: ModelUsage;
}

/**
 * Compacts a context: asks the response's model (without tools) to summarise `items`, and seals the
 * summary into a compaction item. `POST /v1/responses/compact` answers with its result; a response
 * whose context passes its `compact_threshold` emits the compaction item and carries on with
 * `contextForModel([...items, compactionItem])`.
 *
 * Compaction items already among `items` are opened and their summaries shown, so each summary builds
 * on the last. Every compaction item in `items` must already have been verified (opening throws).
 */
export async function summarizeForCompaction(
  items: readonly StoredItem[],
  options: CompactionOptions,
): Promise<CompactionResult> {
  const { resolved, projectId, sealer } = options;
  const context = storedContextForModel(items, sealer, projectId);
  const request: ModelRequest = {
    model: resolved.model,
    instructions: compactionInstructions,
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt(context, options) }] },
    ],
    tools: [],
    shellTool: false,
    toolChoice: null,
    parallelToolCalls: null,
    temperature: null,
    topP: null,
    maxOutputTokens: null,
    textFormat: null,
    reasoning: null,
    presencePenalty: null,
    frequencyPenalty: null,
    verbosity: null,
    endUser: { safetyIdentifier: null, user: null },
    // A transcript no later request starts with: caching it would pay for writes never read.
    promptCache: null,
  };
  let summary = '';
  let usage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  for (const event of await resolved.provider.complete(request, options.signal)) {
    if (event.type === 'text-delta') summary += event.delta;
    else if (event.type === 'finish') usage = event.usage;
  }
  if (summary.trim() === '') {
    throw new UpstreamError(
      resolved.provider.name,
      'The model returned no summary, so the conversation could not be compacted.',
    );
  }
  const id = options.ids.next('cmp');
  const encryptedContent = sealer.seal(projectId, {
    summary: summary.trim(),
    model: options.model,
    createdAt: unixSeconds(options.clock),
  });
  return {
    keptUserMessages: items.filter((entry) => isUserMessage(entry.item)),
    compactionItem: { id, item: { id, type: 'compaction', encrypted_content: encryptedContent } },
    usage,
  };
}

function prompt(context: readonly ResponseInputItem[], options: CompactionOptions): string {
  const setting =
    options.instructions === null || options.instructions === ''
      ? ''
      : `The assistant works under these instructions, which stay in place after compaction:\n<instructions>\n${options.instructions}\n</instructions>\n\n`;
  return (
    `${setting}Summarise this conversation:\n<conversation>\n${compactionTranscript(context)}\n</conversation>\n\n` +
    'Write the summary now.'
  );
}
