import { describe, expect, it } from 'vitest';
import type { ModelProvider } from './model-provider.js';
import { createProviderRegistry } from './provider-registry.js';

function provider(name: string): ModelProvider {
  return { name, kind: 'openai-chat' } as ModelProvider;
}

describe('model routing', () => {
  const registry = createProviderRegistry([provider('local'), provider('openrouter')], 'openrouter');

  it('routes "<provider>/<model>" to that provider with the prefix removed', () => {
    const resolved = registry.resolve('local/qwen3:8b');
    expect(resolved.provider.name).toBe('local');
    expect(resolved.model).toBe('qwen3:8b');
  });

  it('sends a bare name, or one whose prefix is no provider, whole to the default provider', () => {
    expect(registry.resolve('gpt-5').provider.name).toBe('openrouter');
    const slashed = registry.resolve('anthropic/claude-sonnet-4.5');
    expect(slashed.provider.name).toBe('openrouter');
    expect(slashed.model).toBe('anthropic/claude-sonnet-4.5');
  });

  it('answers model_not_found when no provider can serve the name', () => {
    const empty = createProviderRegistry([], null);
    expect(() => empty.resolve('gpt-5')).toThrow(
      expect.objectContaining({ code: 'model_not_found', status: 404 }),
    );
    const noDefault = createProviderRegistry([provider('local')], null);
    expect(() => noDefault.resolve('other/model')).toThrow(expect.objectContaining({ param: 'model' }));
  });
});
