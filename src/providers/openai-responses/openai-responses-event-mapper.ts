import { UpstreamError } from '../../errors/berth-error.js';
import type { Tool } from 'openai/resources/responses/responses';
import { isHostedItemType } from '../hosted-item-types.js';
import type { HostedOutputItem, ModelEvent, ShellAction } from '../model-provider.js';
import { patchOrLocalShellCallEvent } from './map-openai-patch-and-local-shell-items.js';
import { mapOpenAIResponsesFinishReason, mapOpenAIResponsesUsage } from './map-openai-responses-finish.js';
import type { OutputItem, StreamEvent, WireResponse } from './openai-responses-wire-schemas.js';

type PartKind = 'text' | 'refusal' | 'reasoning' | 'tool-call' | 'custom-call' | 'shell-call';

interface Part {
  /** Adapter-local id: upstream item ids (msg_…, fc_…, rs_…) never reach the engine. */
  readonly id: string;
  readonly kind: PartKind;
  readonly outputIndex: number;
  /** Everything sent as deltas so far, to fill in from `*.done` when a server skipped the deltas. */
  streamed: string;
  /** A shell call's commands as streamed so far, by command index. */
  readonly commands: string[];
  /** A shell call's whole action, once its done item has said it. */
  action?: ShellAction;
  /** A text part's annotations (`url_citation`, …), once its done part or item has said them. */
  annotations?: readonly object[];
  ended: boolean;
}

/**
 * Turns Responses stream events into ModelEvents for one turn. Text and refusals are keyed by
 * output and content index, reasoning, function, custom tool and shell calls by output index. It is lenient about order:
 * a part whose `added` event never came is started by its first delta or by its `done` item, which is
 * also how a non-streaming Response is mapped (every item arrives as `output_item.done`).
 */
export class OpenAIResponsesEventMapper {
  readonly #provider: string;
  readonly #parts = new Map<string, Part>();
  /** The `phase` of each upstream message, by output index, so its parts keep it. */
  readonly #phases = new Map<number, 'commentary' | 'final_answer'>();
  /** Hosted tools' items by output index, with the adapter-local id the engine knows them by. */
  readonly #hosted = new Map<number, { readonly id: string; ended: boolean }>();
  #hasToolCalls = false;
  #finished = false;

  constructor(provider: string) {
    this.#provider = provider;
  }

  /** True once `finish` has been emitted. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The ModelEvents one upstream event implies; throws UpstreamError for `response.failed` and `error`. */
  map(event: StreamEvent): ModelEvent[] {
    const out: ModelEvent[] = [];
    if (this.#finished) return out;
    switch (event.type) {
      case 'response.output_item.added':
        this.#itemAdded(event.output_index, event.item, out);
        break;
      case 'response.output_item.done':
        this.#itemDone(event.output_index, event.item, out);
        break;
      case 'response.content_part.added':
        if (event.part.type === 'output_text') this.#part(contentKey(event), 'text', event.output_index, out);
        if (event.part.type === 'refusal') this.#part(contentKey(event), 'refusal', event.output_index, out);
        break;
      case 'response.content_part.done': {
        const part = this.#parts.get(contentKey(event));
        if (part) part.annotations = annotationsOf(event.part);
        if (part) this.#end(part, out, event.part.text ?? event.part.refusal);
        break;
      }
      case 'response.output_text.delta':
        this.#delta(this.#part(contentKey(event), 'text', event.output_index, out), event.delta, out);
        break;
      case 'response.refusal.delta':
        this.#delta(this.#part(contentKey(event), 'refusal', event.output_index, out), event.delta, out);
        break;
      case 'response.output_text.done':
        this.#fill(this.#part(contentKey(event), 'text', event.output_index, out), event.text, out);
        break;
      case 'response.refusal.done':
        this.#fill(this.#part(contentKey(event), 'refusal', event.output_index, out), event.refusal, out);
        break;
      case 'response.function_call_arguments.delta': {
        const part = this.#parts.get(String(event.output_index));
        if (part?.kind === 'tool-call') this.#delta(part, event.delta, out);
        break;
      }
      case 'response.custom_tool_call_input.delta': {
        const part = this.#parts.get(String(event.output_index));
        if (part?.kind === 'custom-call') this.#delta(part, event.delta, out);
        break;
      }
      case 'response.custom_tool_call_input.done': {
        const part = this.#parts.get(String(event.output_index));
        if (part?.kind === 'custom-call') this.#fill(part, event.input, out);
        break;
      }
      case 'response.shell_call_command.added':
      case 'response.shell_call_command.done': {
        // `added` usually carries "", `done` the whole command: either fills a command never streamed.
        const part = this.#shellCall(event.output_index, undefined, out);
        if (part.commands[event.command_index] === undefined || part.commands[event.command_index] === '')
          this.#commandDelta(part, event.command_index, event.command ?? '', out);
        break;
      }
      case 'response.shell_call_command.delta':
        this.#commandDelta(
          this.#shellCall(event.output_index, undefined, out),
          event.command_index,
          event.delta,
          out,
        );
        break;
      case 'response.reasoning_summary_part.added': {
        // One reasoning part per reasoning item; its summary parts read as paragraphs.
        const part = this.#part(String(event.output_index), 'reasoning', event.output_index, out);
        if (event.summary_index > 0 && part.streamed !== '') this.#delta(part, '\n\n', out);
        break;
      }
      case 'response.reasoning_summary_text.delta':
        this.#delta(
          this.#part(String(event.output_index), 'reasoning', event.output_index, out),
          event.delta,
          out,
        );
        break;
      case 'response.completed':
      case 'response.incomplete':
        this.#finish(event.response, out);
        break;
      case 'response.failed':
        throw this.#failure(event.response.error?.message, event.response.error?.code);
      case 'error':
        throw this.#failure(event.message, event.code);
    }
    return out;
  }

  /** The events of a whole non-streaming Response, in output order. */
  mapResponse(response: WireResponse): ModelEvent[] {
    if (response.status === 'failed') throw this.#failure(response.error?.message, response.error?.code);
    const out: ModelEvent[] = [];
    (response.output ?? []).forEach((item, index) => this.#itemDone(index, item, out));
    this.#finish(response, out);
    return out;
  }

  /**
   * An event of the upstream's that Berth does not map (`response.web_search_call.searching`, …): when
   * it is about a hosted tool's item, it goes to the engine as it is; otherwise it is skipped.
   */
  mapItemEvent(raw: unknown): ModelEvent[] {
    if (this.#finished || typeof raw !== 'object' || raw === null) return [];
    const event = raw as Record<string, unknown>;
    if (typeof event.type !== 'string' || typeof event.output_index !== 'number') return [];
    const hosted = this.#hosted.get(event.output_index);
    if (!hosted || hosted.ended) return [];
    return [{ type: 'hosted-item-event', id: hosted.id, event: { ...event, type: event.type } }];
  }

  /** A hosted tool's item (`web_search_call`, `mcp_call`, …): the engine gets it as the upstream made it. */
  #hostedItem(outputIndex: number, item: OutputItem, done: boolean, out: ModelEvent[]): void {
    let hosted = this.#hosted.get(outputIndex);
    if (!hosted) {
      hosted = { id: `hosted_${outputIndex}`, ended: false };
      this.#hosted.set(outputIndex, hosted);
      out.push({ type: 'hosted-item-start', id: hosted.id, item: hostedItemOf(item) });
    }
    if (done && !hosted.ended) {
      hosted.ended = true;
      out.push({ type: 'hosted-item-done', id: hosted.id, item: hostedItemOf(item) });
    }
  }

  #itemAdded(outputIndex: number, item: OutputItem, out: ModelEvent[]): void {
    if (isHostedItemType(item.type)) this.#hostedItem(outputIndex, item, false, out);
    if (item.type === 'message') this.#rememberPhase(outputIndex, item);
    if (item.type === 'reasoning') this.#part(String(outputIndex), 'reasoning', outputIndex, out);
    if (item.type === 'function_call') this.#toolCall(outputIndex, item, out);
    if (item.type === 'custom_tool_call') this.#customCall(outputIndex, item, out);
    if (item.type === 'shell_call') this.#shellCall(outputIndex, item, out);
  }

  #itemDone(outputIndex: number, item: OutputItem, out: ModelEvent[]): void {
    if (isHostedItemType(item.type)) {
      this.#hostedItem(outputIndex, item, true, out);
    } else if (item.type === 'message') {
      this.#rememberPhase(outputIndex, item);
      (item.content ?? []).forEach((content, contentIndex) => {
        const kind = content.type === 'output_text' ? 'text' : content.type === 'refusal' ? 'refusal' : null;
        if (!kind) return;
        const part = this.#part(`${outputIndex}:${contentIndex}`, kind, outputIndex, out);
        part.annotations ??= annotationsOf(content);
        this.#end(part, out, kind === 'text' ? content.text : content.refusal);
      });
      this.#endAll(out, outputIndex);
    } else if (item.type === 'reasoning') {
      const part = this.#part(String(outputIndex), 'reasoning', outputIndex, out);
      const summary = (item.summary ?? []).map((entry) => entry.text ?? '').join('\n\n');
      this.#end(part, out, summary, item.encrypted_content ?? null);
    } else if (item.type === 'function_call') {
      const argumentsText = typeof item.arguments === 'string' ? item.arguments : null;
      this.#end(this.#toolCall(outputIndex, item, out), out, argumentsText);
    } else if (item.type === 'custom_tool_call') {
      this.#end(this.#customCall(outputIndex, item, out), out, item.input);
    } else if (item.type === 'apply_patch_call' || item.type === 'local_shell_call') {
      const event = patchOrLocalShellCallEvent(`call_item_${outputIndex}`, item);
      if (event) out.push(event);
      this.#hasToolCalls ||= event !== null;
    } else if (item.type === 'shell_call') {
      const part = this.#shellCall(outputIndex, item, out);
      // The done item's commands are authoritative; a server that streamed none still sends them here.
      const commands = item.action?.commands?.length ? item.action.commands : part.commands;
      part.action = {
        commands: [...commands],
        timeoutMs: item.action?.timeout_ms ?? null,
        maxOutputLength: item.action?.max_output_length ?? null,
      };
      this.#end(part, out);
    } else if (item.type === 'tool_search_call' || item.type === 'tool_search_output') {
      out.push(toolSearchEvent(item));
    }
    // Other item types carry nothing for the engine.
  }

  #rememberPhase(outputIndex: number, item: OutputItem): void {
    if (item.phase === 'commentary' || item.phase === 'final_answer')
      this.#phases.set(outputIndex, item.phase);
  }

  #toolCall(outputIndex: number, item: OutputItem, out: ModelEvent[]): Part {
    const key = String(outputIndex);
    const existing = this.#parts.get(key);
    if (existing) return existing;
    const part = this.#create(key, 'tool-call', outputIndex);
    this.#hasToolCalls = true;
    out.push({
      type: 'tool-call-start',
      id: part.id,
      callId: item.call_id ?? `call_${part.id}`,
      name: item.name ?? '',
      ...(item.namespace ? { namespace: item.namespace } : {}),
    });
    return part;
  }

  /** The custom tool call at `outputIndex`, started now if this is the first event that mentions it. */
  #customCall(outputIndex: number, item: OutputItem, out: ModelEvent[]): Part {
    const key = String(outputIndex);
    const existing = this.#parts.get(key);
    if (existing) return existing;
    const part = this.#create(key, 'custom-call', outputIndex);
    this.#hasToolCalls = true;
    out.push({
      type: 'custom-call-start',
      id: part.id,
      callId: item.call_id ?? `call_${part.id}`,
      name: item.name ?? '',
      ...(item.namespace ? { namespace: item.namespace } : {}),
    });
    return part;
  }

  /** The shell call at `outputIndex`, started now if this is the first event that mentions it. */
  #shellCall(outputIndex: number, item: OutputItem | undefined, out: ModelEvent[]): Part {
    const key = String(outputIndex);
    const existing = this.#parts.get(key);
    if (existing) return existing;
    const part = this.#create(key, 'shell-call', outputIndex);
    this.#hasToolCalls = true;
    out.push({ type: 'shell-call-start', id: part.id, callId: item?.call_id ?? `call_${part.id}` });
    return part;
  }

  #commandDelta(part: Part, commandIndex: number, delta: string, out: ModelEvent[]): void {
    // Commands only append, as the SDK's own accumulator insists; a wild index is ignored, not allocated.
    if (part.ended || part.kind !== 'shell-call' || delta === '' || commandIndex > part.commands.length)
      return;
    part.commands[commandIndex] = (part.commands[commandIndex] ?? '') + delta;
    out.push({ type: 'shell-call-command-delta', id: part.id, commandIndex, delta });
  }

  /** The part under `key`, started now if this is the first event that mentions it. */
  #part(
    key: string,
    kind: Exclude<PartKind, 'tool-call' | 'custom-call' | 'shell-call'>,
    outputIndex: number,
    out: ModelEvent[],
  ): Part {
    const existing = this.#parts.get(key);
    if (existing) return existing;
    const part = this.#create(key, kind, outputIndex);
    if (kind === 'reasoning') {
      out.push({ type: 'reasoning-start', id: part.id });
    } else {
      // Each upstream message stays its own message in Berth's output, with its phase.
      const message = { key: String(outputIndex), phase: this.#phases.get(outputIndex) ?? null };
      out.push({ type: `${kind}-start`, id: part.id, message });
    }
    return part;
  }

  #create(key: string, kind: PartKind, outputIndex: number): Part {
    const id = `part_${this.#parts.size}`;
    const part: Part = { id, kind, outputIndex, streamed: '', commands: [], ended: false };
    this.#parts.set(key, part);
    return part;
  }

  #delta(part: Part, delta: string, out: ModelEvent[]): void {
    if (part.ended || part.kind === 'shell-call' || delta === '') return;
    part.streamed += delta;
    out.push({ type: `${part.kind}-delta`, id: part.id, delta });
  }

  /** Sends the final text of a part whose deltas never came (non-streaming, or a terse server). */
  #fill(part: Part, text: string | null | undefined, out: ModelEvent[]): void {
    if (part.streamed === '' && text) this.#delta(part, text, out);
  }

  #end(part: Part, out: ModelEvent[], text?: string | null, encryptedContent?: string | null): void {
    if (part.ended) return;
    this.#fill(part, text, out);
    part.ended = true;
    switch (part.kind) {
      case 'text':
        out.push({
          type: 'text-end',
          id: part.id,
          ...(part.annotations?.length ? { annotations: part.annotations } : {}),
        });
        break;
      case 'refusal':
        out.push({ type: 'refusal-end', id: part.id });
        break;
      case 'reasoning':
        out.push({ type: 'reasoning-end', id: part.id, encryptedContent: encryptedContent ?? null });
        break;
      case 'tool-call':
        // The done item's arguments are authoritative; the deltas are what was seen on the way.
        out.push({ type: 'tool-call-end', id: part.id, arguments: text || part.streamed });
        break;
      case 'custom-call':
        // Likewise the done item's input; an empty input is an input, so only a missing one falls back.
        out.push({ type: 'custom-call-end', id: part.id, input: text ?? part.streamed });
        break;
      case 'shell-call':
        // Without a done item (a stream that skipped it), the streamed commands are all there is.
        out.push({
          type: 'shell-call-end',
          id: part.id,
          action: part.action ?? { commands: [...part.commands], timeoutMs: null, maxOutputLength: null },
        });
        break;
    }
  }

  /** Ends every open part (of one output item, or all of them), so that `finish` comes last. */
  #endAll(out: ModelEvent[], outputIndex?: number): void {
    for (const part of this.#parts.values()) {
      if (outputIndex === undefined || part.outputIndex === outputIndex) this.#end(part, out);
    }
  }

  #finish(response: WireResponse, out: ModelEvent[]): void {
    this.#endAll(out);
    // A hosted item the upstream never finished is left open: the engine marks it incomplete.
    const reason = mapOpenAIResponsesFinishReason(response, this.#hasToolCalls);
    out.push({ type: 'finish', reason, usage: mapOpenAIResponsesUsage(response.usage) });
    this.#finished = true;
  }

  #failure(message: string | null | undefined, code: string | null | undefined): UpstreamError {
    return new UpstreamError(this.#provider, message ?? `Provider '${this.#provider}' failed the response.`, {
      code: code ?? null,
    });
  }
}

/** A hosted item as the engine gets it: everything the upstream sent, its `id` included. */
function hostedItemOf(item: OutputItem): HostedOutputItem {
  return item;
}

/** The annotations of a done `output_text` part, when it has any. */
function annotationsOf(part: Readonly<Record<string, unknown>>): readonly object[] | undefined {
  const annotations = part['annotations'];
  if (!Array.isArray(annotations)) return undefined;
  return annotations.filter(
    (annotation): annotation is object => typeof annotation === 'object' && annotation !== null,
  );
}

function contentKey(event: { output_index: number; content_index: number }): string {
  return `${event.output_index}:${event.content_index}`;
}

/** A search the upstream ran (or handed to the client), as the one event that carries it whole. */
function toolSearchEvent(item: OutputItem): ModelEvent {
  const callId = item.call_id ?? null;
  const execution = item.execution ?? 'server';
  if (item.type === 'tool_search_call') {
    return { type: 'tool-search-call', callId, arguments: item.arguments ?? {}, execution };
  }
  // The tool shapes are OpenAI's own; Berth passes them on, and back, as they came.
  return { type: 'tool-search-output', callId, tools: (item.tools ?? []) as unknown as Tool[], execution };
}
