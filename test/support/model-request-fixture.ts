import type { ModelRequest } from '../../src/providers/model-provider.js';

/**
 * A sample one-turn ModelRequest for provider tests: the user says "Hi", with no tools, instructions,
 * sampling settings or prompt caching (so request bodies carry no cache fields unless a test asks). The model is required because each provider's tests use one its upstream knows.
 *
 * @example
 * provider.stream(modelRequest({ model: 'gpt-5', instructions: 'Be brief.' }), signal);
 */
export function modelRequest(overrides: Partial<ModelRequest> & Pick<ModelRequest, 'model'>): ModelRequest {
  return {
    instructions: null,
    input: [{ role: 'user', content: 'Hi' }],
    tools: [],
    shellTool: false,
    toolChoice: null,
    parallelToolCalls: null,
    temperature: null,
    topP: null,
    maxOutputTokens: null,
    textFormat: null,
    reasoning: null,
    presencePenalty: null,
    frequencyPenalty: null,
    verbosity: null,
    endUser: { safetyIdentifier: null, user: null },
    promptCache: null,
    ...overrides,
  };
}
