import { flattenTools } from './flatten-tools.js';
import type { ModelEvent, ModelProvider } from './model-provider.js';

/**
 * `provider`, for an upstream without namespaces or tool search, with both handled by Berth
 * (`flattenTools`): every turn's request is flattened once, and the reply's calls mapped back with
 * the same names. `maxNameLength` is the upstream's limit on tool names.
 *
 * @example
 * return withFlattenedTools(createChatProviderItself(settings), 64);
 */
export function withFlattenedTools(provider: ModelProvider, maxNameLength: number): ModelProvider {
  return {
    name: provider.name,
    kind: provider.kind,
    async *stream(request, signal) {
      const flattened = flattenTools(request, maxNameLength);
      for await (const event of provider.stream(flattened.request, signal)) yield* flattened.restore(event);
    },
    async complete(request, signal): Promise<readonly ModelEvent[]> {
      const flattened = flattenTools(request, maxNameLength);
      const events = await provider.complete(flattened.request, signal);
      return events.flatMap((event) => flattened.restore(event));
    },
    listModels: (signal) => provider.listModels(signal),
    countInputTokens: (request, signal) =>
      provider.countInputTokens(flattenTools(request, maxNameLength).request, signal),
    close: () => provider.close(),
  };
}
