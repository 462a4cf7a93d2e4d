import type { MessageGroup } from '../providers/model-provider.js';
import type { MutableItem, OutputItems } from './output-items.js';

/**
 * The assistant `message` items of an output: text (`output_text`, with annotations) and refusal
 * parts appended to the open message, which stays open until another kind of item starts or the
 * upstream starts a new message group.
 */
export class MessageOutput {
  readonly #items: OutputItems;
  /** Annotations for a finished `output_text` part (container file citations). */
  readonly #annotate: ((text: string) => readonly object[]) | undefined;
  /** The assistant message that text and refusal parts are appended to, while it stays open. */
  #message: { outputIndex: number; item: MutableItem; key: string | undefined } | undefined;

  constructor(items: OutputItems, annotate: ((text: string) => readonly object[]) | undefined) {
    this.#items = items;
    this.#annotate = annotate;
  }

  /** Starts a text or refusal part in the open message (opening one if needed). */
  startPart(id: string, type: 'output_text' | 'refusal', group: MessageGroup | undefined): void {
    const { outputIndex, item } = this.#open(group);
    const content = item.content as Record<string, unknown>[];
    const part =
      type === 'output_text' ? { type, text: '', annotations: [], logprobs: [] } : { type, refusal: '' };
    const contentIndex = content.length;
    content.push(part);
    this.#items.parts.set(id, { outputIndex, item, contentIndex, text: '' });
    this.#items.emit?.({
      type: 'response.content_part.added',
      item_id: item.id,
      output_index: outputIndex,
      content_index: contentIndex,
      part: { ...part },
    });
  }

  /** Text (or refusal text) of a part as it streams. */
  delta(id: string, delta: string): void {
    const part = this.#items.parts.get(id);
    if (!part || delta.length === 0) return;
    part.text += delta;
    const isText =
      (part.item.content as Record<string, unknown>[])[part.contentIndex]?.type === 'output_text';
    this.#items.emit?.({
      type: isText ? 'response.output_text.delta' : 'response.refusal.delta',
      item_id: part.item.id,
      output_index: part.outputIndex,
      content_index: part.contentIndex,
      delta,
      ...(isText ? { logprobs: [] } : {}),
    });
  }

  /** Ends a part: its final text, its annotations (text parts), then its `done` events. */
  endPart(id: string, upstreamAnnotations: readonly object[] = []): void {
    const items = this.#items;
    const part = items.parts.get(id);
    if (!part) return;
    items.parts.delete(id);
    const content = part.item.content as Record<string, unknown>[];
    const isText = content[part.contentIndex]?.type === 'output_text';
    // The upstream's own annotations (url_citation from a web search) first, then Berth's.
    const annotations: readonly object[] = isText
      ? [...upstreamAnnotations, ...(this.#annotate?.(part.text) ?? [])]
      : [];
    const finalPart = isText
      ? { type: 'output_text', text: part.text, annotations, logprobs: [] }
      : { type: 'refusal', refusal: part.text };
    content[part.contentIndex] = finalPart;
    const common = {
      item_id: part.item.id,
      output_index: part.outputIndex,
      content_index: part.contentIndex,
    };
    for (const [annotationIndex, annotation] of annotations.entries()) {
      items.emit?.({
        type: 'response.output_text.annotation.added',
        ...common,
        annotation_index: annotationIndex,
        annotation,
      });
    }
    items.emit?.(
      isText
        ? { type: 'response.output_text.done', ...common, text: part.text, logprobs: [] }
        : { type: 'response.refusal.done', ...common, refusal: part.text },
    );
    items.emit?.({ type: 'response.content_part.done', ...common, part: { ...finalPart } });
  }

  /** Closes the open message, if any, after ending its parts still streaming. */
  close(status: 'completed' | 'incomplete'): void {
    const message = this.#message;
    if (!message) return;
    // A message is done only after each of its parts is: close any still streaming.
    for (const [id, part] of [...this.#items.parts]) {
      if (part.item === message.item) this.endPart(id);
    }
    this.#message = undefined;
    message.item.status = status;
    this.#items.done(message.outputIndex, message.item);
  }

  #open(group: MessageGroup | undefined): { outputIndex: number; item: MutableItem } {
    if (this.#message && group !== undefined && this.#message.key !== group.key) this.close('completed');
    if (this.#message) return this.#message;
    const item: MutableItem = {
      id: this.#items.ids.next('msg'),
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
      ...(group?.phase ? { phase: group.phase } : {}),
    };
    this.#message = { outputIndex: this.#items.append(item), item, key: group?.key };
    return this.#message;
  }
}
