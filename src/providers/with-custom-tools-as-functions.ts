import { customToolNamesOf, customToolsAsFunctions, StreamedCustomCall } from './custom-tool-as-function.js';
import type { ModelEvent, ModelProvider, ModelRequest } from './model-provider.js';

/**
 * A provider whose protocol has no custom tools (Chat Completions, Anthropic), given them as functions
 * (`customToolsAsFunctions`): the request it receives offers each custom tool as a function of one
 * string argument, and a call of such a function comes back as a custom tool call whose input is
 * decoded from the arguments as they stream. The adapter inside never sees a custom tool.
 *
 * @example
 * const provider = withCustomToolsAsFunctions(createAnthropicProvider(settings));
 */
export function withCustomToolsAsFunctions(provider: ModelProvider): ModelProvider {
  return {
    name: provider.name,
    kind: provider.kind,
    async *stream(request, signal) {
      const calls = new CustomCalls(request);
      for await (const event of provider.stream(customToolsAsFunctions(request), signal)) {
        yield* calls.translate(event);
      }
    },
    async complete(request, signal) {
      const calls = new CustomCalls(request);
      const events = await provider.complete(customToolsAsFunctions(request), signal);
      return events.flatMap((event) => calls.translate(event));
    },
    listModels: (signal) => provider.listModels(signal),
    countInputTokens: (request, signal) => provider.countInputTokens(customToolsAsFunctions(request), signal),
    close: () => provider.close(),
  };
}

/** Turns the events of calls of custom tools' functions into custom tool call events. */
class CustomCalls {
  readonly #names: ReadonlySet<string>;
  readonly #open = new Map<string, StreamedCustomCall>();

  constructor(request: ModelRequest) {
    this.#names = customToolNamesOf(request);
  }

  translate(event: ModelEvent): ModelEvent[] {
    if (this.#names.size === 0) return [event];
    if (event.type === 'tool-call-start' && this.#names.has(event.name)) {
      const call = new StreamedCustomCall(event.id);
      this.#open.set(event.id, call);
      return [call.start(event.callId, event.name)];
    }
    const call = 'id' in event ? this.#open.get(event.id) : undefined;
    if (!call) return [event];
    if (event.type === 'tool-call-delta') {
      const delta = call.delta(event.delta);
      return delta ? [delta] : [];
    }
    if (event.type === 'tool-call-end') {
      this.#open.delete(event.id);
      return call.end(event.arguments);
    }
    return [event];
  }
}
