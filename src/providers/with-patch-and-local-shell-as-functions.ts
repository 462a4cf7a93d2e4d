import type { ModelEvent, ModelProvider, ModelRequest } from './model-provider.js';
import {
  applyPatchFunction,
  applyPatchFunctionName,
  applyPatchOperationOf,
  localShellActionOf,
  localShellFunction,
  localShellFunctionName,
  patchOrLocalShellItemAsFunctionItem,
} from './patch-and-local-shell-calls.js';

/**
 * A provider whose protocol has no `apply_patch` or `local_shell` tool (Chat Completions, Anthropic),
 * given them as functions: the request it receives offers each as its function (after the other
 * tools), names that function in `tool_choice`, and holds the context's native calls and outputs as
 * function calls and results; a call of one of the functions comes back as an `apply-patch-call` or
 * `local-shell-call` event. The adapter inside never sees either tool.
 *
 * @example
 * const provider = withPatchAndLocalShellAsFunctions(createOpenAIChatProvider(settings));
 */
export function withPatchAndLocalShellAsFunctions(provider: ModelProvider): ModelProvider {
  return {
    name: provider.name,
    kind: provider.kind,
    async *stream(request, signal) {
      const calls = new PatchAndLocalShellCalls(request);
      for await (const event of provider.stream(patchAndLocalShellAsFunctions(request), signal)) {
        yield* calls.translate(event);
      }
    },
    async complete(request, signal) {
      const calls = new PatchAndLocalShellCalls(request);
      const events = await provider.complete(patchAndLocalShellAsFunctions(request), signal);
      return events.flatMap((event) => calls.translate(event));
    },
    listModels: (signal) => provider.listModels(signal),
    countInputTokens: (request, signal) =>
      provider.countInputTokens(patchAndLocalShellAsFunctions(request), signal),
    close: () => provider.close(),
  };
}

/** The request as a provider of function tools sees it (see `withPatchAndLocalShellAsFunctions`). */
export function patchAndLocalShellAsFunctions(request: ModelRequest): ModelRequest {
  const functions = [
    ...(request.applyPatchTool ? [applyPatchFunction] : []),
    ...(request.localShellTool ? [localShellFunction] : []),
  ];
  return {
    ...request,
    tools: [...request.tools, ...functions],
    applyPatchTool: false,
    localShellTool: false,
    toolChoice: toolChoiceAsFunction(request.toolChoice),
    input: request.input.map(patchOrLocalShellItemAsFunctionItem),
  };
}

function toolChoiceAsFunction(choice: ModelRequest['toolChoice']): ModelRequest['toolChoice'] {
  if (choice === null || typeof choice === 'string') return choice;
  if (choice.type === 'apply_patch') return { type: 'function', name: applyPatchFunctionName };
  if (choice.type === 'allowed_tools') {
    const tools = choice.tools.map((tool) =>
      tool['type'] === 'apply_patch' || tool['type'] === 'local_shell'
        ? { type: 'function', name: tool['type'] }
        : tool,
    );
    return { ...choice, tools };
  }
  return choice;
}

/** A function call being held until its arguments are whole. */
interface HeldCall {
  readonly callId: string;
  readonly name: string;
}

/**
 * Turns the events of calls of the two functions into native call events. Such a call is held back
 * until its arguments are whole (no client streams apply_patch or local_shell input); arguments that
 * are not the function's JSON leave the call as the function call it was, so the client still sees
 * what the model wrote and can answer it.
 */
class PatchAndLocalShellCalls {
  readonly #names: ReadonlySet<string>;
  readonly #held = new Map<string, HeldCall>();

  constructor(request: ModelRequest) {
    this.#names = new Set([
      ...(request.applyPatchTool ? [applyPatchFunctionName] : []),
      ...(request.localShellTool ? [localShellFunctionName] : []),
    ]);
  }

  translate(event: ModelEvent): ModelEvent[] {
    if (event.type === 'tool-call-start' && this.#names.has(event.name)) {
      this.#held.set(event.id, { callId: event.callId, name: event.name });
      return [];
    }
    if (event.type === 'tool-call-delta' && this.#held.has(event.id)) return [];
    if (event.type === 'tool-call-end') {
      const held = this.#held.get(event.id);
      if (!held) return [event];
      this.#held.delete(event.id);
      return this.#callEvents(event.id, held, event.arguments);
    }
    return [event];
  }

  #callEvents(id: string, held: HeldCall, argumentsText: string): ModelEvent[] {
    const { callId, name } = held;
    if (name === applyPatchFunctionName) {
      const operation = applyPatchOperationOf(argumentsText);
      if (operation) return [{ type: 'apply-patch-call', id, callId, operation }];
    } else {
      const action = localShellActionOf(argumentsText);
      if (action) return [{ type: 'local-shell-call', id, callId, action }];
    }
    return [
      { type: 'tool-call-start', id, callId, name },
      ...(argumentsText === '' ? [] : [{ type: 'tool-call-delta' as const, id, delta: argumentsText }]),
      { type: 'tool-call-end', id, arguments: argumentsText },
    ];
  }
}
