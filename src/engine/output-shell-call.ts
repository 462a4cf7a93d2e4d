import type { CommandResult } from '../containers/shell-host.js';
import type { ShellAction } from '../providers/model-provider.js';
import type { CompletedShellCall, MutableItem, OutputItems } from './output-items.js';

/** A `shell_call_output` item being filled in as its commands run. */
export interface OpenShellOutput {
  /** Where the item is in the output. */
  readonly outputIndex: number;
  /** The item; `output` gets one entry per command as each ends. */
  readonly item: MutableItem & { output: CommandResult[] };
}

/**
 * The `shell_call` items of an output (commands streamed as the model writes them) and the
 * `shell_call_output` items that answer them (each command's output streamed as it runs).
 */
export class ShellCallOutput {
  readonly #items: OutputItems;
  /** What each `shell_call` names as its `environment` (a container reference, local, or null). */
  readonly #environment: Record<string, unknown> | null;
  /** Commands streamed so far of each open shell call, by the provider's part id. */
  readonly #commands = new Map<string, string[]>();

  constructor(items: OutputItems, environment: Record<string, unknown> | null) {
    this.#items = items;
    this.#environment = environment;
  }

  /** Appends an `in_progress` shell call with no commands yet. */
  start(id: string, callId: string): void {
    const item: MutableItem = {
      id: this.#items.ids.next('sh'),
      type: 'shell_call',
      call_id: callId,
      status: 'in_progress',
      action: { commands: [], timeout_ms: null, max_output_length: null },
      environment: this.#environment,
    };
    const outputIndex = this.#items.append(item);
    this.#items.parts.set(id, { outputIndex, item, contentIndex: 0, text: '' });
    this.#commands.set(id, []);
  }

  /** Text of command `commandIndex` as it streams; the first delta of a command announces it. */
  commandDelta(id: string, commandIndex: number, delta: string): void {
    const part = this.#items.parts.get(id);
    const commands = this.#commands.get(id);
    if (!part || !commands || commandIndex > commands.length) return;
    const common = { output_index: part.outputIndex, command_index: commandIndex };
    if (commandIndex === commands.length) {
      commands.push('');
      this.#items.emit?.({ type: 'response.shell_call_command.added', ...common, command: '' });
    }
    if (delta.length === 0) return;
    commands[commandIndex] += delta;
    this.#items.emit?.({ type: 'response.shell_call_command.delta', ...common, delta });
  }

  /** The whole call; its `done` is held, and once sent the call is ready to run. */
  end(id: string, action: ShellAction): void {
    const items = this.#items;
    const part = items.parts.get(id);
    const streamed = this.#commands.get(id) ?? [];
    if (!part) return;
    // Commands the upstream did not stream (every adapter but OpenAI's) are announced whole here.
    for (const [index, command] of action.commands.entries()) {
      if (index >= streamed.length) this.commandDelta(id, index, command);
      items.emit?.({
        type: 'response.shell_call_command.done',
        output_index: part.outputIndex,
        command_index: index,
        command,
      });
    }
    items.parts.delete(id);
    this.#commands.delete(id);
    part.item.action = {
      commands: [...action.commands],
      timeout_ms: action.timeoutMs,
      max_output_length: action.maxOutputLength,
    };
    items.holdCall({
      outputIndex: part.outputIndex,
      item: part.item,
      shell: { item: part.item as CompletedShellCall['item'], action },
    });
  }

  /** Ends a call cut off mid-command: it is never run, and ends `incomplete` with what had streamed. */
  cutOff(id: string): void {
    const commands = this.#commands.get(id) ?? [];
    this.end(id, { commands, timeoutMs: null, maxOutputLength: null });
    this.#items.flushPendingCall('incomplete');
  }

  /** Appends a `shell_call_output` for `call`; its entries are added with `outputDelta`/`commandDone`. */
  openOutput(call: CompletedShellCall): OpenShellOutput {
    const item = {
      id: this.#items.ids.next('sho'),
      type: 'shell_call_output',
      call_id: call.item.call_id,
      status: 'in_progress',
      max_output_length: call.action.maxOutputLength,
      output: [] as CommandResult[],
    };
    return { outputIndex: this.#items.append(item), item };
  }

  /** Output a command produced, as it produced it. */
  outputDelta(
    open: OpenShellOutput,
    commandIndex: number,
    delta: { stdout?: string; stderr?: string },
  ): void {
    this.#items.emit?.({
      type: 'response.shell_call_output_content.delta',
      item_id: open.item.id,
      output_index: open.outputIndex,
      command_index: commandIndex,
      delta,
    });
  }

  /** A command's final entry (its capped output and how it ended). */
  commandDone(open: OpenShellOutput, commandIndex: number, entry: CommandResult): void {
    open.item.output[commandIndex] = entry;
    this.#items.emit?.({
      type: 'response.shell_call_output_content.done',
      item_id: open.item.id,
      output_index: open.outputIndex,
      command_index: commandIndex,
      output: [{ ...entry }],
    });
  }

  /** Closes a `shell_call_output` once every command it answers has its entry. */
  closeOutput(open: OpenShellOutput, status: 'completed' | 'incomplete' = 'completed'): void {
    open.item.status = status;
    this.#items.done(open.outputIndex, open.item);
  }
}
