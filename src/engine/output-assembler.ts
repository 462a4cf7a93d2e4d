import type { CommandResult } from '../containers/shell-host.js';
import type { IdGenerator } from '../ids.js';
import type { ModelEvent } from '../providers/model-provider.js';
import { customCallKind, functionCallKind, StreamedCallOutput } from './output-client-call.js';
import { HostedItemOutput } from './output-hosted-item.js';
import { OutputItems, type CompletedShellCall, type MutableItem } from './output-items.js';
import { MessageOutput } from './output-message.js';
import { PatchAndLocalShellCallOutput } from './output-patch-and-local-shell-call.js';
import { ReasoningOutput } from './output-reasoning.js';
import { ShellCallOutput, type OpenShellOutput } from './output-shell-call.js';
import { ToolSearchOutput, type PendingToolSearch } from './output-tool-search.js';
import type { UnsequencedEvent } from './stream-event.js';

export type { CompletedShellCall } from './output-items.js';
export type { OpenShellOutput } from './output-shell-call.js';

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
 * added is done before the response ends, and the ids in events are the ids in the final output. Each
 * kind of item has its own builder; this routes the events to them and closes the open message before
 * any other kind of item starts (text after a call opens a new message).
 */
export class OutputAssembler {
  /** The output items, in output order; complete once `finish()` has run. */
  readonly output: MutableItem[];
  readonly #items: OutputItems;
  readonly #messages: MessageOutput;
  readonly #reasoning: ReasoningOutput;
  readonly #functionCalls: StreamedCallOutput;
  readonly #customCalls: StreamedCallOutput;
  readonly #patchAndLocalShellCalls: PatchAndLocalShellCallOutput;
  readonly #shellCalls: ShellCallOutput;
  readonly #hostedItems: HostedItemOutput;
  readonly #toolSearches: ToolSearchOutput;

  constructor(
    ids: IdGenerator,
    emit: ((event: UnsequencedEvent) => void) | null,
    options: AssemblerOptions = {},
  ) {
    this.#items = new OutputItems(ids, emit);
    this.output = this.#items.output;
    this.#messages = new MessageOutput(this.#items, options.annotate);
    this.#reasoning = new ReasoningOutput(this.#items);
    this.#functionCalls = new StreamedCallOutput(this.#items, functionCallKind);
    this.#customCalls = new StreamedCallOutput(this.#items, customCallKind);
    this.#patchAndLocalShellCalls = new PatchAndLocalShellCallOutput(this.#items);
    this.#shellCalls = new ShellCallOutput(this.#items, options.shellEnvironment ?? null);
    this.#hostedItems = new HostedItemOutput(this.#items);
    this.#toolSearches = new ToolSearchOutput(this.#items);
  }

  /** Tool searches Berth must run: server-executed calls no output answered. */
  takeToolSearches(): PendingToolSearch[] {
    this.#items.flushPendingCall('completed');
    return this.#toolSearches.takePending();
  }

  /** Appends the `tool_search_output` of a search Berth ran. */
  addToolSearchOutput(callId: string | null, tools: Parameters<ToolSearchOutput['output']>[1]): void {
    this.#messages.close('completed');
    this.#toolSearches.output(callId, tools, 'server');
  }

  /** The shell calls completed since the last call, in output order. */
  takeShellCalls(): CompletedShellCall[] {
    return this.#items.takeShellCalls();
  }

  /**
   * Whether any client-executed call (`function_call`, `custom_tool_call`, `apply_patch_call`,
   * `local_shell_call`) is in the output since `since`: the client must run it before the loop goes on.
   */
  hasClientCalls(since = 0): boolean {
    return this.output
      .slice(since)
      .some(
        (item) =>
          clientCallTypes.has(item.type) || (item.type === 'tool_search_call' && item.execution === 'client'),
      );
  }

  /** Appends a `shell_call_output` for `call`; its entries are added with `shellOutputDelta`/`Done`. */
  openShellOutput(call: CompletedShellCall): OpenShellOutput {
    this.#messages.close('completed');
    return this.#shellCalls.openOutput(call);
  }

  /** Output a command produced, as it produced it. */
  shellOutputDelta(
    open: OpenShellOutput,
    commandIndex: number,
    delta: { stdout?: string; stderr?: string },
  ): void {
    this.#shellCalls.outputDelta(open, commandIndex, delta);
  }

  /** A command's final entry (its capped output and how it ended). */
  shellOutputCommandDone(open: OpenShellOutput, commandIndex: number, entry: CommandResult): void {
    this.#shellCalls.commandDone(open, commandIndex, entry);
  }

  /** Closes a `shell_call_output` once every command it answers has its entry. */
  closeShellOutput(open: OpenShellOutput, status: 'completed' | 'incomplete' = 'completed'): void {
    this.#shellCalls.closeOutput(open, status);
  }

  /**
   * Appends a finished `compaction` item: `output_item.added`, `response.compaction.compacting` (which
   * the SDK checks names a `compaction` item) and `output_item.done`.
   */
  addCompaction(encryptedContent: string): void {
    this.#messages.close('completed');
    const items = this.#items;
    const item: MutableItem = {
      id: items.ids.next('cmp'),
      type: 'compaction',
      encrypted_content: encryptedContent,
    };
    const outputIndex = items.append(item);
    items.emit?.({ type: 'response.compaction.compacting', item_id: item.id, output_index: outputIndex });
    items.done(outputIndex, item);
  }

  /** Applies one model event to the output. */
  apply(event: ModelEvent): void {
    switch (event.type) {
      case 'text-start':
      case 'refusal-start':
        this.#messages.startPart(
          event.id,
          event.type === 'text-start' ? 'output_text' : 'refusal',
          event.message,
        );
        return;
      case 'text-delta':
      case 'refusal-delta':
        this.#messages.delta(event.id, event.delta);
        return;
      case 'text-end':
        this.#messages.endPart(event.id, event.annotations);
        return;
      case 'refusal-end':
        this.#messages.endPart(event.id);
        return;
      case 'reasoning-start':
        this.#messages.close('completed');
        this.#reasoning.start(event.id);
        return;
      case 'reasoning-delta':
        this.#reasoning.summaryDelta(event.id, event.delta);
        return;
      case 'reasoning-text-delta':
        this.#reasoning.textDelta(event.id, event.delta);
        return;
      case 'reasoning-end':
        this.#reasoning.end(event.id, event.encryptedContent ?? null);
        return;
      case 'tool-call-start':
        // A message interrupted by a tool call is finished; text after the call opens a new message.
        this.#messages.close('completed');
        this.#functionCalls.start(event.id, event.callId, event.name, event.namespace);
        return;
      case 'tool-call-delta':
        this.#functionCalls.delta(event.id, event.delta);
        return;
      case 'tool-call-end':
        this.#functionCalls.end(event.id, event.arguments);
        return;
      case 'custom-call-start':
        this.#messages.close('completed');
        this.#customCalls.start(event.id, event.callId, event.name, event.namespace);
        return;
      case 'custom-call-delta':
        this.#customCalls.delta(event.id, event.delta);
        return;
      case 'custom-call-end':
        this.#customCalls.end(event.id, event.input);
        return;
      case 'apply-patch-call':
        this.#messages.close('completed');
        this.#patchAndLocalShellCalls.applyPatch(event.callId, event.operation);
        return;
      case 'local-shell-call':
        this.#messages.close('completed');
        this.#patchAndLocalShellCalls.localShell(event.callId, event.action);
        return;
      case 'shell-call-start':
        this.#messages.close('completed');
        this.#shellCalls.start(event.id, event.callId);
        return;
      case 'shell-call-command-delta':
        this.#shellCalls.commandDelta(event.id, event.commandIndex, event.delta);
        return;
      case 'shell-call-end':
        this.#shellCalls.end(event.id, event.action);
        return;
      case 'hosted-item-start':
        this.#messages.close('completed');
        this.#hostedItems.start(event.id, event.item);
        return;
      case 'hosted-item-event':
        this.#hostedItems.event(event.id, event.event);
        return;
      case 'hosted-item-done':
        this.#messages.close('completed');
        this.#hostedItems.done(event.id, event.item);
        return;
      case 'tool-search-call':
        this.#messages.close('completed');
        this.#toolSearches.call(event.callId, event.arguments, event.execution);
        return;
      case 'tool-search-output':
        this.#messages.close('completed');
        this.#toolSearches.output(event.callId, event.tools, event.execution);
        return;
      case 'finish':
        return;
    }
  }

  /** Closes whatever is still open (`status` says how the open items ended), in the order it opened. */
  finish(status: 'completed' | 'incomplete'): void {
    for (const [id, part] of [...this.#items.parts]) {
      if (part.item.type === 'message') continue;
      if (part.item.type === 'reasoning') {
        if (status === 'incomplete') part.item.status = 'incomplete';
        this.#reasoning.end(id, null);
      } else if (part.item.type === 'shell_call') {
        this.#shellCalls.cutOff(id);
      } else if (part.item.type === 'custom_tool_call') {
        this.#customCalls.end(id, part.text);
      } else {
        this.#functionCalls.end(id, part.text);
      }
    }
    this.#hostedItems.finish();
    this.#messages.close(status);
    this.#items.flushPendingCall(status);
  }
}

/** Item types the client runs: a response that outputs one ends for the client to act. */
const clientCallTypes: ReadonlySet<string> = new Set([
  'function_call',
  'custom_tool_call',
  'apply_patch_call',
  'local_shell_call',
]);
