import type { CommandResult } from '../containers/shell-host.js';
import type { IdGenerator } from '../ids.js';
import type { MessageGroup, ModelEvent, ShellAction } from '../providers/model-provider.js';
import type { UnsequencedEvent } from './stream-event.js';

type MutableItem = Record<string, unknown> & { id: string; type: string };

interface OpenPart {
  readonly outputIndex: number;
  readonly item: MutableItem;
  readonly contentIndex: number;
  text: string;
}

/** A shell call the model finished asking for, waiting to be run (or handed to the client). */
export interface CompletedShellCall {
  readonly item: MutableItem & { call_id: string };
  readonly action: ShellAction;
}

/** A `shell_call_output` item being filled in as its commands run. */
export interface OpenShellOutput {
  readonly outputIndex: number;
  readonly item: MutableItem & { output: CommandResult[] };
}

/** Settings for the items the assembler builds. */
export interface AssemblerOptions {
  /** What each `shell_call` names as its `environment` (a container reference, local, or null). */
  readonly shellEnvironment?: Record<string, unknown> | null;
  /**
   * Annotations for a finished `output_text` part (container file citations); called once per part,
   * before its `done` events.
   */
  readonly annotate?: (text: string) => readonly object[];
}

/**
 * Builds a response's output items from a model's events and emits the matching OpenAI stream events,
 * keeping the rules the official SDK enforces: `output_index` only appends, every item and part that is
 * added is done before the response ends, and the ids in events are the ids in the final output.
 */
export class OutputAssembler {
  /** The output items, in output order; complete once `finish()` has run. */
  readonly output: MutableItem[] = [];
  readonly #ids: IdGenerator;
  /** Null when nobody will read the events (a non-streaming response): then none are built. */
  readonly #emit: ((event: UnsequencedEvent) => void) | null;
  /** The assistant message that text and refusal parts are appended to, while it stays open. */
  #message: { outputIndex: number; item: MutableItem; key: string | undefined } | undefined;
  /** Open parts by the provider's part id. */
  readonly #parts = new Map<string, OpenPart>();
  /**
   * The last function call whose arguments are complete but whose `output_item.done` waits: if the
   * model is cut off right after it (`max_output_tokens`), the call is reported `incomplete`, so a
   * client never executes truncated arguments as if they were whole.
   */
  #pendingCall: { outputIndex: number; item: MutableItem; shell?: CompletedShellCall } | undefined;
  /** Commands streamed so far of each open shell call, by the provider's part id. */
  readonly #shellCommands = new Map<string, string[]>();
  /** Shell calls whose `done` was sent and that nobody has taken yet. */
  #completedShellCalls: CompletedShellCall[] = [];
  readonly #options: AssemblerOptions;

  constructor(
    ids: IdGenerator,
    emit: ((event: UnsequencedEvent) => void) | null,
    options: AssemblerOptions = {},
  ) {
    this.#ids = ids;
    this.#emit = emit;
    this.#options = options;
  }

  /** The shell calls completed since the last call, in output order. */
  takeShellCalls(): CompletedShellCall[] {
    this.#flushPendingCall('completed');
    const calls = this.#completedShellCalls;
    this.#completedShellCalls = [];
    return calls;
  }

  /** Whether any `function_call` is in the output (the client must run it before the loop goes on). */
  hasFunctionCalls(since = 0): boolean {
    return this.output.slice(since).some((item) => item.type === 'function_call');
  }

  /** Appends a `shell_call_output` for `call`; its entries are added with `shellOutputDelta`/`Done`. */
  openShellOutput(call: CompletedShellCall): OpenShellOutput {
    this.#closeMessage('completed');
    const item = {
      id: this.#ids.next('sho'),
      type: 'shell_call_output',
      call_id: call.item.call_id,
      status: 'in_progress',
      max_output_length: call.action.maxOutputLength,
      output: [] as CommandResult[],
    };
    return { outputIndex: this.#append(item), item };
  }

  /** Output a command produced, as it produced it. */
  shellOutputDelta(
    open: OpenShellOutput,
    commandIndex: number,
    delta: { stdout?: string; stderr?: string },
  ): void {
    this.#emit?.({
      type: 'response.shell_call_output_content.delta',
      item_id: open.item.id,
      output_index: open.outputIndex,
      command_index: commandIndex,
      delta,
    });
  }

  /** A command's final entry (its capped output and how it ended). */
  shellOutputCommandDone(open: OpenShellOutput, commandIndex: number, entry: CommandResult): void {
    open.item.output[commandIndex] = entry;
    this.#emit?.({
      type: 'response.shell_call_output_content.done',
      item_id: open.item.id,
      output_index: open.outputIndex,
      command_index: commandIndex,
      output: [{ ...entry }],
    });
  }

  /**
   * Appends a finished `compaction` item: `output_item.added`, `response.compaction.compacting` (which
   * the SDK checks names a `compaction` item) and `output_item.done`.
   */
  addCompaction(encryptedContent: string): void {
    this.#closeMessage('completed');
    const item: MutableItem = {
      id: this.#ids.next('cmp'),
      type: 'compaction',
      encrypted_content: encryptedContent,
    };
    const outputIndex = this.#append(item);
    this.#emit?.({ type: 'response.compaction.compacting', item_id: item.id, output_index: outputIndex });
    this.#done(outputIndex, item);
  }

  /** Closes a `shell_call_output` once every command it answers has its entry. */
  closeShellOutput(open: OpenShellOutput, status: 'completed' | 'incomplete' = 'completed'): void {
    open.item.status = status;
    this.#done(open.outputIndex, open.item);
  }

  apply(event: ModelEvent): void {
    switch (event.type) {
      case 'text-start':
      case 'refusal-start':
        this.#startContentPart(
          event.id,
          event.type === 'text-start' ? 'output_text' : 'refusal',
          event.message,
        );
        return;
      case 'text-delta':
      case 'refusal-delta':
        this.#contentDelta(event.id, event.delta);
        return;
      case 'text-end':
      case 'refusal-end':
        this.#endContentPart(event.id);
        return;
      case 'reasoning-start':
        this.#startReasoning(event.id);
        return;
      case 'reasoning-delta':
        this.#reasoningDelta(event.id, event.delta);
        return;
      case 'reasoning-end':
        this.#endReasoning(event.id, event.encryptedContent ?? null);
        return;
      case 'tool-call-start':
        this.#startToolCall(event.id, event.callId, event.name);
        return;
      case 'tool-call-delta':
        this.#toolCallDelta(event.id, event.delta);
        return;
      case 'tool-call-end':
        this.#endToolCall(event.id, event.arguments);
        return;
      case 'shell-call-start':
        this.#startShellCall(event.id, event.callId);
        return;
      case 'shell-call-command-delta':
        this.#shellCommandDelta(event.id, event.commandIndex, event.delta);
        return;
      case 'shell-call-end':
        this.#endShellCall(event.id, event.action);
        return;
      case 'finish':
        return;
    }
  }

  /** Closes whatever is still open (`status` says how the open items ended). */
  finish(status: 'completed' | 'incomplete'): void {
    for (const [id, part] of [...this.#parts]) {
      if (part.item.type === 'message') continue;
      if (part.item.type === 'reasoning') {
        if (status === 'incomplete') part.item.status = 'incomplete';
        this.#endReasoning(id, null);
      } else if (part.item.type === 'shell_call') {
        // A call cut off mid-command is never run: it ends incomplete with what had streamed.
        const commands = this.#shellCommands.get(id) ?? [];
        this.#endShellCall(id, { commands, timeoutMs: null, maxOutputLength: null });
        this.#flushPendingCall('incomplete');
      } else {
        this.#endToolCall(id, part.text);
      }
    }
    this.#closeMessage(status);
    this.#flushPendingCall(status);
  }

  #append(item: MutableItem): number {
    this.#flushPendingCall('completed');
    const outputIndex = this.output.length;
    this.output.push(item);
    this.#emit?.({
      type: 'response.output_item.added',
      output_index: outputIndex,
      // The item grows after this event; it holds no nested content yet, so a shallow copy with its
      // own empty content and summary lists is a faithful snapshot.
      item: snapshotNewItem(item),
    });
    return outputIndex;
  }

  #done(outputIndex: number, item: MutableItem): void {
    this.#emit?.({
      type: 'response.output_item.done',
      output_index: outputIndex,
      // A done item never changes again, so the event can carry it as it is.
      item,
    });
  }

  #openMessage(group: MessageGroup | undefined): { outputIndex: number; item: MutableItem } {
    if (this.#message && group !== undefined && this.#message.key !== group.key)
      this.#closeMessage('completed');
    if (this.#message) return this.#message;
    const item: MutableItem = {
      id: this.#ids.next('msg'),
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
      ...(group?.phase ? { phase: group.phase } : {}),
    };
    this.#message = { outputIndex: this.#append(item), item, key: group?.key };
    return this.#message;
  }

  #closeMessage(status: 'completed' | 'incomplete'): void {
    const message = this.#message;
    if (!message) return;
    // A message is done only after each of its parts is: close any still streaming.
    for (const [id, part] of [...this.#parts]) {
      if (part.item === message.item) this.#endContentPart(id);
    }
    this.#message = undefined;
    message.item.status = status;
    this.#done(message.outputIndex, message.item);
  }

  #startContentPart(id: string, type: 'output_text' | 'refusal', group: MessageGroup | undefined): void {
    const { outputIndex, item } = this.#openMessage(group);
    const content = item.content as Record<string, unknown>[];
    const part =
      type === 'output_text' ? { type, text: '', annotations: [], logprobs: [] } : { type, refusal: '' };
    const contentIndex = content.length;
    content.push(part);
    this.#parts.set(id, { outputIndex, item, contentIndex, text: '' });
    this.#emit?.({
      type: 'response.content_part.added',
      item_id: item.id,
      output_index: outputIndex,
      content_index: contentIndex,
      part: { ...part },
    });
  }

  #contentDelta(id: string, delta: string): void {
    const part = this.#parts.get(id);
    if (!part || delta.length === 0) return;
    part.text += delta;
    const isText =
      (part.item.content as Record<string, unknown>[])[part.contentIndex]?.type === 'output_text';
    this.#emit?.({
      type: isText ? 'response.output_text.delta' : 'response.refusal.delta',
      item_id: part.item.id,
      output_index: part.outputIndex,
      content_index: part.contentIndex,
      delta,
      ...(isText ? { logprobs: [] } : {}),
    });
  }

  #endContentPart(id: string): void {
    const part = this.#parts.get(id);
    if (!part) return;
    this.#parts.delete(id);
    const content = part.item.content as Record<string, unknown>[];
    const isText = content[part.contentIndex]?.type === 'output_text';
    const annotations: readonly object[] = isText ? (this.#options.annotate?.(part.text) ?? []) : [];
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
      this.#emit?.({
        type: 'response.output_text.annotation.added',
        ...common,
        annotation_index: annotationIndex,
        annotation,
      });
    }
    this.#emit?.(
      isText
        ? { type: 'response.output_text.done', ...common, text: part.text, logprobs: [] }
        : { type: 'response.refusal.done', ...common, refusal: part.text },
    );
    this.#emit?.({ type: 'response.content_part.done', ...common, part: { ...finalPart } });
  }

  #startReasoning(id: string): void {
    this.#closeMessage('completed');
    const item: MutableItem = { id: this.#ids.next('rs'), type: 'reasoning', summary: [] };
    const outputIndex = this.#append(item);
    this.#parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
  }

  #reasoningDelta(id: string, delta: string): void {
    const part = this.#parts.get(id);
    if (!part || delta.length === 0) return;
    const summary = part.item.summary as { type: string; text: string }[];
    const common = { item_id: part.item.id, output_index: part.outputIndex, summary_index: 0 };
    if (summary.length === 0) {
      summary.push({ type: 'summary_text', text: '' });
      this.#emit?.({
        type: 'response.reasoning_summary_part.added',
        ...common,
        part: { type: 'summary_text', text: '' },
      });
    }
    part.text += delta;
    this.#emit?.({ type: 'response.reasoning_summary_text.delta', ...common, delta });
  }

  #endReasoning(id: string, encryptedContent: string | null): void {
    const part = this.#parts.get(id);
    if (!part) return;
    this.#parts.delete(id);
    const summary = part.item.summary as { type: string; text: string }[];
    if (summary.length > 0) {
      summary[0] = { type: 'summary_text', text: part.text };
      const common = { item_id: part.item.id, output_index: part.outputIndex, summary_index: 0 };
      this.#emit?.({ type: 'response.reasoning_summary_text.done', ...common, text: part.text });
      this.#emit?.({
        type: 'response.reasoning_summary_part.done',
        ...common,
        part: { type: 'summary_text', text: part.text },
      });
    }
    if (encryptedContent) part.item.encrypted_content = encryptedContent;
    this.#done(part.outputIndex, part.item);
  }

  #startToolCall(id: string, callId: string, name: string): void {
    // A message interrupted by a tool call is finished; text after the call opens a new message.
    this.#closeMessage('completed');
    const item: MutableItem = {
      id: this.#ids.next('fc'),
      type: 'function_call',
      status: 'in_progress',
      call_id: callId,
      name,
      arguments: '',
    };
    const outputIndex = this.#append(item);
    this.#parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
  }

  #toolCallDelta(id: string, delta: string): void {
    const part = this.#parts.get(id);
    if (!part || delta.length === 0) return;
    part.text += delta;
    this.#emit?.({
      type: 'response.function_call_arguments.delta',
      item_id: part.item.id,
      output_index: part.outputIndex,
      delta,
    });
  }

  #endToolCall(id: string, argumentsText: string): void {
    const part = this.#parts.get(id);
    if (!part) return;
    this.#parts.delete(id);
    part.item.arguments = argumentsText;
    this.#emit?.({
      type: 'response.function_call_arguments.done',
      item_id: part.item.id,
      output_index: part.outputIndex,
      name: part.item.name,
      arguments: argumentsText,
    });
    this.#flushPendingCall('completed');
    this.#pendingCall = { outputIndex: part.outputIndex, item: part.item };
  }

  #flushPendingCall(status: 'completed' | 'incomplete'): void {
    const call = this.#pendingCall;
    if (!call) return;
    this.#pendingCall = undefined;
    call.item.status = status;
    this.#done(call.outputIndex, call.item);
    if (call.shell && status === 'completed') this.#completedShellCalls.push(call.shell);
  }

  #startShellCall(id: string, callId: string): void {
    this.#closeMessage('completed');
    const item: MutableItem = {
      id: this.#ids.next('sh'),
      type: 'shell_call',
      call_id: callId,
      status: 'in_progress',
      action: { commands: [], timeout_ms: null, max_output_length: null },
      environment: this.#options.shellEnvironment ?? null,
    };
    const outputIndex = this.#append(item);
    this.#parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
    this.#shellCommands.set(id, []);
  }

  #shellCommandDelta(id: string, commandIndex: number, delta: string): void {
    const part = this.#parts.get(id);
    const commands = this.#shellCommands.get(id);
    if (!part || !commands || commandIndex > commands.length) return;
    const common = { output_index: part.outputIndex, command_index: commandIndex };
    if (commandIndex === commands.length) {
      commands.push('');
      this.#emit?.({ type: 'response.shell_call_command.added', ...common, command: '' });
    }
    if (delta.length === 0) return;
    commands[commandIndex] += delta;
    this.#emit?.({ type: 'response.shell_call_command.delta', ...common, delta });
  }

  #endShellCall(id: string, action: ShellAction): void {
    const part = this.#parts.get(id);
    const streamed = this.#shellCommands.get(id) ?? [];
    if (!part) return;
    // Commands the upstream did not stream (every adapter but OpenAI's) are announced whole here.
    for (const [index, command] of action.commands.entries()) {
      if (index >= streamed.length) this.#shellCommandDelta(id, index, command);
      this.#emit?.({
        type: 'response.shell_call_command.done',
        output_index: part.outputIndex,
        command_index: index,
        command,
      });
    }
    this.#parts.delete(id);
    this.#shellCommands.delete(id);
    part.item.action = {
      commands: [...action.commands],
      timeout_ms: action.timeoutMs,
      max_output_length: action.maxOutputLength,
    };
    this.#flushPendingCall('completed');
    this.#pendingCall = {
      outputIndex: part.outputIndex,
      item: part.item,
      shell: { item: part.item as CompletedShellCall['item'], action },
    };
  }
}

function snapshotNewItem(item: MutableItem): MutableItem {
  const copy = { ...item };
  if (Array.isArray(item.content)) copy.content = [...(item.content as unknown[])];
  if (Array.isArray(item.summary)) copy.summary = [...(item.summary as unknown[])];
  return copy;
}
