import { BerthError } from '../errors/berth-error.js';
import type { HostedTool, ProviderKind } from '../providers/model-provider.js';
import type { ResponseCreateParams } from './response-create-params.js';

/**
 * OpenAI's hosted tools: tools the model's provider runs itself (`web_search`, `file_search`, `mcp`,
 * …), which Berth never executes. An `openai` upstream runs every one; `anthropic` runs web search as
 * its own server-side tool; a Chat Completions server runs none.
 */
export const hostedToolTypes = [
  'web_search',
  'web_search_2025_08_26',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'file_search',
  'image_generation',
  'computer',
  'computer_use_preview',
  'code_interpreter',
  'mcp',
  'programmatic_tool_calling',
] as const;

/** What a request's hosted tools come to on the provider kind it runs on. */
export interface HostedToolsPlan {
  /** The hosted tools sent to the provider, each object as the client wrote it. */
  readonly hostedTools: readonly HostedTool[];
  /** Types of the hosted tools left out because the provider kind cannot run them, in request order. */
  readonly ignoredTools: readonly string[];
}

export type UnsupportedHostedTools = 'ignore' | 'reject';

export function isHostedToolType(type: unknown): boolean {
  return (hostedToolTypes as readonly unknown[]).includes(type);
}

/** Whether a provider of `kind` runs a hosted tool of `type` itself. */
export function providerRunsHostedTool(kind: ProviderKind, type: string): boolean {
  switch (kind) {
    case 'openai':
      return true;
    case 'anthropic':
      return hostedToolFamily(type) === 'web_search';
    case 'openai-chat':
      return false;
  }
}

/**
 * Splits the request's hosted tools into those the provider runs and those it cannot, applying the
 * `hostedTools.unsupported` rule to the latter. The tools stay on the request either way, so the
 * response echoes them. A `tool_choice` that forces a tool the provider cannot run is a 400 under
 * either rule: the model could not honour it.
 */
export function planHostedTools(
  params: ResponseCreateParams,
  kind: ProviderKind,
  unsupported: UnsupportedHostedTools,
): HostedToolsPlan {
  if (!params.tools?.length && typeof params.tool_choice !== 'object')
    return { hostedTools: [], ignoredTools: [] };
  const hostedTools: HostedTool[] = [];
  const ignoredTools: string[] = [];
  for (const [index, tool] of (params.tools ?? []).entries()) {
    if (!isHostedToolType(tool.type)) continue;
    const type = tool.type as string;
    if (providerRunsHostedTool(kind, type)) {
      hostedTools.push({ ...tool, type });
    } else if (unsupported === 'reject') {
      throw new BerthError(
        'unsupported_parameter',
        `The hosted tool '${type}' is not supported on provider kind '${kind}'.`,
        { param: `tools[${index}].type` },
      );
    } else if (!ignoredTools.includes(type)) {
      ignoredTools.push(type);
    }
  }
  checkHostedToolChoice(params.tool_choice, hostedTools, kind);
  return { hostedTools, ignoredTools };
}

/** A `tool_choice` naming a hosted tool must name one the provider will be offered. */
function checkHostedToolChoice(
  choice: ResponseCreateParams['tool_choice'],
  offered: readonly HostedTool[],
  kind: ProviderKind,
): void {
  if (typeof choice !== 'object' || !isHostedChoice(choice.type)) return;
  const family = hostedToolFamily(choice.type);
  if (offered.some((tool) => hostedToolFamily(tool.type) === family)) return;
  throw new BerthError(
    'invalid_value',
    `tool_choice forces the hosted tool '${choice.type}', which ${
      providerRunsHostedTool(kind, choice.type)
        ? 'tools does not offer'
        : `provider kind '${kind}' cannot run`
    }.`,
    { param: 'tool_choice' },
  );
}

function isHostedChoice(type: string): boolean {
  return isHostedToolType(type) || type === 'computer_use';
}

/**
 * Tool types that name one tool in several versions (`web_search_preview_2025_03_11`,
 * `computer_use_preview`) share a family, which is what `tool_choice` and the providers go by.
 */
export function hostedToolFamily(type: string): string {
  if (type.startsWith('web_search')) return 'web_search';
  if (type.startsWith('computer')) return 'computer';
  return type;
}

/**
 * The `include` entries that ask for more of hosted tools' items, kept when the provider runs hosted
 * tools (others have no such items to fill in). Berth asks for `reasoning.encrypted_content` itself.
 */
export function hostedIncludeOf(
  include: readonly string[] | null | undefined,
  hostedTools: readonly HostedTool[],
): string[] {
  if (!include || hostedTools.length === 0) return [];
  return include.filter((entry) => hostedIncludePrefixes.some((prefix) => entry.startsWith(prefix)));
}

const hostedIncludePrefixes = [
  'web_search_call.',
  'file_search_call.',
  'code_interpreter_call.',
  'computer_call_output.',
];
