/**
 * `gen_ai.provider.name` of OpenTelemetry's GenAI conventions: the well-known name for OpenAI's and
 * Anthropic's APIs, else the configured provider's name (an OpenAI-compatible server could be anything).
 */
export function genAiProviderName(provider: { readonly kind: string; readonly name: string }): string {
  if (provider.kind === 'openai') return 'openai';
  if (provider.kind === 'anthropic') return 'anthropic';
  return provider.name;
}
