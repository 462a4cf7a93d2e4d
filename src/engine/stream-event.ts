import type { SequencedEvent } from '../event-stream.js';

/** An OpenAI Responses stream event as sent on the wire: its `type`, `sequence_number` and fields. */
export type StreamEvent = SequencedEvent;

/** A stream event before the run gives it its sequence number. */
export type { UnsequencedEvent } from '../event-stream.js';
