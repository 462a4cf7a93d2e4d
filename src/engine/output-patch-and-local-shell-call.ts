import type { ApplyPatchOperation, LocalShellAction } from '../providers/patch-and-local-shell-calls.js';
import type { MutableItem, OutputItems } from './output-items.js';

/**
 * The `apply_patch_call` and `local_shell_call` items of an output: the client runs them, like
 * function calls. Each arrives whole (no upstream streams them to Berth in pieces), so it is added
 * and done at once; a call only comes once its arguments were complete, so it is never cut off.
 */
export class PatchAndLocalShellCallOutput {
  readonly #items: OutputItems;

  constructor(items: OutputItems) {
    this.#items = items;
  }

  /** Appends an `apply_patch_call`. */
  applyPatch(callId: string, operation: ApplyPatchOperation): void {
    this.#add({ id: this.#items.ids.next('apc'), type: 'apply_patch_call', call_id: callId, operation });
  }

  /** Appends a `local_shell_call`. */
  localShell(callId: string, action: LocalShellAction): void {
    this.#add({ id: this.#items.ids.next('lsh'), type: 'local_shell_call', call_id: callId, action });
  }

  #add(item: MutableItem): void {
    this.#items.appendDone({ ...item, status: 'completed' }, 'in_progress');
  }
}
