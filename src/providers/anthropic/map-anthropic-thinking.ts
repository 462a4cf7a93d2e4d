import type { ThinkingConfigEnabled } from '@anthropic-ai/sdk/resources/messages';
import type { Reasoning, ReasoningEffort } from 'openai/resources/shared';

/**
 * Anthropic requires `max_tokens` on every request; OpenAI clients usually leave
 * `max_output_tokens` out; 4096 output tokens answer most turns.
 */
export const defaultMaxTokens = 4096;

/** Anthropic's smallest allowed `thinking.budget_tokens`. */
const minimumThinkingBudget = 1024;

/**
 * The thinking budget each OpenAI reasoning effort maps to. `none` and `minimal` turn thinking off.
 * Budgets above 32k are left out on purpose: Anthropic advises batch processing beyond that, since
 * such turns outlast ordinary HTTP timeouts.
 */
const thinkingBudgets: Record<NonNullable<ReasoningEffort>, number | null> = {
  none: null,
  minimal: null,
  low: 1024,
  medium: 4096,
  high: 16_000,
  xhigh: 32_000,
  max: 32_000,
};

/** Anthropic's `max_tokens` and `thinking` for one request. */
export interface AnthropicTokenSettings {
  readonly maxTokens: number;
  readonly thinking: ThinkingConfigEnabled | undefined;
}

/**
 * Maps `reasoning.effort` and `max_output_tokens` to Anthropic's thinking budget and `max_tokens`.
 * Thinking tokens count toward `max_tokens` (as reasoning tokens count toward OpenAI's
 * `max_output_tokens`), and the budget must stay below it: without a client limit, the default answer
 * room is added on top of the budget; with one, the budget shrinks to fit, and thinking is left off
 * when even the minimum budget would not fit.
 */
export function mapAnthropicTokenSettings(
  reasoning: Reasoning | null,
  maxOutputTokens: number | null,
): AnthropicTokenSettings {
  const effort = reasoning?.effort;
  const budget = effort === null || effort === undefined ? null : thinkingBudgets[effort];
  if (budget === null) return { maxTokens: maxOutputTokens ?? defaultMaxTokens, thinking: undefined };
  const maxTokens = maxOutputTokens ?? budget + defaultMaxTokens;
  const fittedBudget = Math.min(budget, maxTokens - 1);
  if (fittedBudget < minimumThinkingBudget) return { maxTokens, thinking: undefined };
  // Whether thinking text is returned or omitted by default depends on the model; a client that asks
  // for a reasoning summary should get one.
  const wantsSummary = (reasoning?.summary ?? reasoning?.generate_summary ?? null) !== null;
  return {
    maxTokens,
    thinking: {
      type: 'enabled',
      budget_tokens: fittedBudget,
      ...(wantsSummary ? { display: 'summarized' as const } : {}),
    },
  };
}
