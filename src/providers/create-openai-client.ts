import OpenAI from 'openai';
import type { ProviderSettings } from './model-provider.js';

/**
 * The official `openai` client for the `openai` and `openai-chat` provider kinds.
 *
 * Every credential option is given explicitly so the SDK reads none from the environment: otherwise
 * an operator's `OPENAI_API_KEY`, `OPENAI_ORG_ID` or `OPENAI_PROJECT_ID` would be sent to whatever
 * third-party or local server this provider points at. Local servers (Ollama, llama.cpp, LM Studio)
 * need no key; the SDK insists on one, so a placeholder is given and the `Authorization` header is
 * removed from every request instead of sending a fake bearer token.
 */
export function createOpenAIClient(settings: ProviderSettings): OpenAI {
  const keyless = !settings.apiKey;
  return new OpenAI({
    baseURL: settings.baseURL ?? 'https://api.openai.com/v1',
    apiKey: settings.apiKey || 'no-api-key',
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    ...(keyless ? { defaultHeaders: { Authorization: null } } : {}),
    ...(settings.timeoutMs === undefined ? {} : { timeout: settings.timeoutMs }),
    maxRetries: settings.maxRetries ?? 2,
  });
}
