import type { JsonObject, StoredItem, StoredResponse } from '../store/store.js';

/**
 * One row of the dashboard's response list (Berth's own, under `/ui/api`): what an operator scans a
 * list by, read from the response object as served, without its output.
 */
export interface ResponseSummary {
  readonly id: string;
  readonly object: 'response.summary';
  readonly status: string;
  readonly model: string | null;
  /** Unix seconds. */
  readonly created_at: number;
  /** Unix seconds, once it ended. */
  readonly completed_at: number | null;
  readonly background: boolean;
  readonly previous_response_id: string | null;
  readonly conversation_id: string | null;
  readonly usage: {
    readonly input_tokens: number;
    readonly cached_tokens: number;
    readonly output_tokens: number;
  } | null;
  /** The error's message, for a failed response. */
  readonly error: string | null;
  /** The start of the first input item's text (what the agent was asked), at most `previewLength`. */
  readonly input_preview: string;
  /** The start of its text answer, at most `previewLength`. */
  readonly output_preview: string;
}

const previewLength = 200;

export function toResponseSummary(
  stored: StoredResponse,
  firstInput: StoredItem | undefined,
): ResponseSummary {
  const body = stored.body;
  const usage = objectOf(body['usage']);
  const error = objectOf(body['error']);
  return {
    id: stored.id,
    object: 'response.summary',
    status: stored.status,
    model: typeof body['model'] === 'string' ? body['model'] : null,
    created_at: stored.createdAt,
    completed_at: typeof body['completed_at'] === 'number' ? body['completed_at'] : null,
    background: stored.background,
    previous_response_id: stored.previousResponseId,
    conversation_id: stored.conversationId,
    usage: usage
      ? {
          input_tokens: numberOf(usage['input_tokens']),
          cached_tokens: numberOf(objectOf(usage['input_tokens_details'])?.['cached_tokens']),
          output_tokens: numberOf(usage['output_tokens']),
        }
      : null,
    error: error && typeof error['message'] === 'string' ? error['message'] : null,
    input_preview: preview(firstInput ? textOf(firstInput.item) : ''),
    output_preview: preview(outputTextOf(body)),
  };
}

/** The text of a message item (a string, or its text parts), or of any item's `output` string. */
function textOf(item: unknown): string {
  const object = objectOf(item);
  if (!object) return '';
  const content = object['content'];
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        const text = objectOf(part)?.['text'];
        return typeof text === 'string' ? text : '';
      })
      .filter(Boolean)
      .join(' ');
  }
  return typeof object['output'] === 'string' ? object['output'] : '';
}

function outputTextOf(body: JsonObject): string {
  const output = body['output'];
  if (!Array.isArray(output)) return '';
  return output
    .filter((item) => objectOf(item)?.['type'] === 'message')
    .map(textOf)
    .join(' ');
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= previewLength ? flat : `${flat.slice(0, previewLength - 1)}…`;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
