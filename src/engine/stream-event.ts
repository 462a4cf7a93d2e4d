/** An OpenAI Responses stream event as sent on the wire: its `type`, `sequence_number` and fields. */
export interface StreamEvent {
  readonly type: string;
  readonly sequence_number: number;
  readonly [field: string]: unknown;
}

/** A stream event before the run gives it its sequence number. */
export type UnsequencedEvent = { readonly type: string; readonly [field: string]: unknown };
