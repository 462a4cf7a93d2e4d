import type { ProviderConfig } from '../config/config-schema.js';
import { BerthError } from '../errors/berth-error.js';
import type { ModelProvider } from './model-provider.js';
import { createOpenAIResponsesProvider } from './openai-responses/openai-responses-provider.js';
import { createOpenAIChatProvider } from './openai-chat/openai-chat-provider.js';
import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { withPatchAndLocalShellAsFunctions } from './with-patch-and-local-shell-as-functions.js';
import { withFlattenedTools } from './with-flattened-tools.js';
import { withCustomToolsAsFunctions } from './with-custom-tools-as-functions.js';

/** A request's `model` resolved to the provider that serves it and the upstream's own model name. */
export interface ResolvedModel {
  readonly provider: ModelProvider;
  readonly model: string;
}

/** The configured providers, and the routing of `"<provider>/<model>"` names to them. */
export interface ProviderRegistry {
  readonly providers: readonly ModelProvider[];
  /**
   * `"<provider>/<model>"` goes to that provider; any other name (including ones with slashes, like
   * OpenRouter's `anthropic/claude-…`, when `anthropic` is not a configured provider) goes whole to
   * the default provider. Throws a 404 `model_not_found` when nothing can serve it.
   */
  resolve(model: string): ResolvedModel;
  close(): Promise<void>;
}

export function createProvider(config: ProviderConfig): ModelProvider {
  const settings = {
    name: config.name,
    baseURL: config.baseURL,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    promptCaching: config.promptCaching,
  };
  switch (config.kind) {
    case 'openai':
      return createOpenAIResponsesProvider(settings);
    // Namespaces and tool search are Berth's on these protocols (flatten-tools.ts), within their name limits.
    case 'openai-chat':
      // Neither protocol has custom tools, apply_patch, local_shell, namespaces or tool search: the first
      // three are offered as functions, namespaced tools under flat names, and Berth runs the search.
      return withFunctionTranslations(createOpenAIChatProvider(settings), 64);
    case 'anthropic':
      return withFunctionTranslations(createAnthropicProvider(settings), 128);
  }
}

/**
 * An adapter of a protocol that knows only function tools, with each translation Berth makes for it in
 * one wrapper: namespaces and tool search flattened (names up to `maxNameLength`), then `apply_patch`
 * and `local_shell`, then custom tools, as functions. The adapter itself sees only functions.
 */
function withFunctionTranslations(adapter: ModelProvider, maxNameLength: number): ModelProvider {
  return withFlattenedTools(
    withPatchAndLocalShellAsFunctions(withCustomToolsAsFunctions(adapter)),
    maxNameLength,
  );
}

export function createProviderRegistry(
  providers: readonly ModelProvider[],
  defaultProvider: string | null,
): ProviderRegistry {
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  return {
    providers,
    resolve(model) {
      const slash = model.indexOf('/');
      if (slash > 0) {
        const named = byName.get(model.slice(0, slash));
        const rest = model.slice(slash + 1);
        if (named && rest.length > 0) return { provider: named, model: rest };
      }
      const fallback = defaultProvider === null ? undefined : byName.get(defaultProvider);
      if (!fallback) {
        throw new BerthError(
          'model_not_found',
          providers.length === 0
            ? `The model '${model}' does not exist: no model provider is configured.`
            : `The model '${model}' does not exist: name it as "<provider>/<model>" with one of: ${[...byName.keys()].join(', ')}.`,
          { param: 'model' },
        );
      }
      return { provider: fallback, model };
    },
    async close() {
      await Promise.all(providers.map((provider) => provider.close()));
    },
  };
}
