import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/berth-error.js';
import { planHostedTools } from './hosted-tools.js';
import type { ResponseCreateParams } from './response-create-params.js';

const tools = [
  { type: 'function', name: 'lookup' },
  { type: 'web_search_preview', search_context_size: 'high' },
  { type: 'file_search', vector_store_ids: ['vs_1'] },
  { type: 'file_search', vector_store_ids: ['vs_2'] },
  { type: 'mcp', server_label: 'docs' },
];

function params(extra: Partial<ResponseCreateParams> = {}): ResponseCreateParams {
  return { model: 'm', input: 'Hi', tools, ...extra };
}

function refusal(run: () => unknown): BerthError {
  try {
    run();
  } catch (error) {
    if (error instanceof BerthError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planHostedTools', () => {
  it('offers every hosted tool to openai, as written', () => {
    expect(planHostedTools(params(), 'openai', 'reject')).toEqual({
      hostedTools: tools.slice(1),
      ignoredTools: [],
    });
  });

  it('offers only web search to anthropic and names each other type left out once', () => {
    expect(planHostedTools(params(), 'anthropic', 'ignore')).toEqual({
      hostedTools: [tools[1]],
      ignoredTools: ['file_search', 'mcp'],
    });
  });

  it('offers nothing to openai-chat', () => {
    expect(planHostedTools(params(), 'openai-chat', 'ignore').hostedTools).toEqual([]);
  });

  it('refuses the first tool the kind cannot run under reject, naming it and the kind', () => {
    const error = refusal(() => planHostedTools(params(), 'anthropic', 'reject'));
    expect(error).toMatchObject({ code: 'unsupported_parameter', param: 'tools[2].type' });
    expect(error.message).toBe(
      "The hosted tool 'file_search' is not supported on provider kind 'anthropic'.",
    );
  });

  it.each([
    ['a tool the kind cannot run', 'anthropic', { type: 'mcp', server_label: 'docs' }],
    ['a tool the request does not offer', 'openai', { type: 'code_interpreter' }],
  ] as const)('refuses a tool_choice forcing %s', (_case, kind, choice) => {
    const error = refusal(() => planHostedTools(params({ tool_choice: choice }), kind, 'ignore'));
    expect(error).toMatchObject({ code: 'invalid_value', param: 'tool_choice' });
  });

  it('lets a tool_choice name any version of the tool offered', () => {
    const choice = { type: 'web_search_preview_2025_03_11' } as const;
    expect(() => planHostedTools(params({ tool_choice: choice }), 'anthropic', 'ignore')).not.toThrow();
  });
});
