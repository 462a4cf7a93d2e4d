import type { Page, PageRequest } from './page.js';
import type { JsonObject, StoredItem } from './stored-item.js';

/**
 * Responses with their input and output items and their recorded stream events. Every read and
 * write is scoped by `projectId`: another project's response is indistinguishable from none.
 */
export interface ResponseStore {
  /**
   * Creates or replaces a response and, in the same transaction, its items, its events and the
   * conversation items of `write.conversationItems`: a turn's response and the conversation it
   * continues are recorded together or not at all. So this one method writes into the conversations'
   * tables too, and a backend implements `ResponseStore` and `ConversationStore` over one database.
   */
  writeResponse(write: ResponseWrite): Promise<void>;
  /** The response as last written, or undefined (unknown id, or another project's). */
  getResponse(projectId: string, id: string): Promise<StoredResponse | undefined>;
  /** Deletes a response with its items, events and tool-call log; false when there was nothing to delete. */
  deleteResponse(projectId: string, id: string): Promise<boolean>;
  /**
   * The context a response continues from: the input and output items of the response and of every
   * response before it in its `previous_response_id` chain, oldest first. Undefined if the id is unknown.
   */
  loadChainItems(projectId: string, id: string): Promise<readonly StoredItem[] | undefined>;
  /** One page of a response's own input items. Undefined if the response is unknown. */
  listInputItems(projectId: string, id: string, page: PageRequest): Promise<Page<StoredItem> | undefined>;
  /** Recorded stream events with `sequence_number` greater than `startingAfter`, in order. */
  listResponseEvents(responseId: string, startingAfter: number): Promise<readonly StoredEvent[]>;
  /** Responses of every project left `queued` or `in_progress` (what a restart must resume or fail). */
  listUnfinishedResponses(): Promise<readonly StoredResponse[]>;
  /**
   * One page of a project's responses in the order they were created (`desc`: newest first), narrowed
   * by `filter`: what the dashboard lists. `after` is the id of the last response already seen.
   */
  listResponses(projectId: string, page: PageRequest, filter: ResponseFilter): Promise<Page<StoredResponse>>;
}

/** What `listResponses` keeps; every given field must match. */
export interface ResponseFilter {
  readonly status?: ResponseStatus | undefined;
  /** The model as the response names it (`body.model`). */
  readonly model?: string | undefined;
  /**
   * Text found, case-insensitively for ASCII, in the response's id, in the response object as served
   * (its output, instructions and model) or in one of its input items.
   */
  readonly search?: string | undefined;
}

/** A response's lifecycle status, as OpenAI names it. */
export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

export interface StoredResponse {
  /** `resp_…`. */
  readonly id: string;
  readonly projectId: string;
  readonly status: ResponseStatus;
  /** Unix seconds. */
  readonly createdAt: number;
  /** The response this one continues, or null. */
  readonly previousResponseId: string | null;
  /** The conversation this response's items were appended to, or null. */
  readonly conversationId: string | null;
  readonly background: boolean;
  /** True when the stream events were recorded, so `?stream=true` can replay them. */
  readonly eventsRecorded: boolean;
  /** The OpenAI Response object as served. */
  readonly body: JsonObject;
  /** What a restart needs to resume the work (the create request), for background responses. */
  readonly request: JsonObject | null;
}

/** One recorded stream event. */
export interface StoredEvent {
  /** The event's `sequence_number`. */
  readonly sequenceNumber: number;
  /** The event as streamed. */
  readonly event: JsonObject;
}

/** What one `writeResponse` records. */
export interface ResponseWrite {
  /** The response's new state. */
  readonly response: StoredResponse;
  /** The request's input items: written with the first write of a response, ignored after. */
  readonly inputItems?: readonly StoredItem[];
  /** The output items: replace whatever was stored before. */
  readonly outputItems?: readonly StoredItem[];
  /** Stream events to append. */
  readonly events?: readonly StoredEvent[];
  /** Items to append to a conversation in the same transaction. */
  readonly conversationItems?: { readonly conversationId: string; readonly items: readonly StoredItem[] };
}
