import type { FunctionTool } from 'openai/resources/responses/responses';
import type { Reasoning } from 'openai/resources/shared';
import type { CompactionSealer } from './compaction/compaction-sealer.js';
import { compactThresholdOf } from './compaction/context-management.js';
import { storedContextForModel } from './compaction/context-for-model.js';
import { verifyCompactionItems } from './compaction/verify-compaction-items.js';
import { BerthError } from '../errors/berth-error.js';
import type { IdGenerator } from '../ids.js';
import type { ModelRequest } from '../providers/model-provider.js';
import type { ProviderRegistry, ResolvedModel } from '../providers/provider-registry.js';
import type { ConversationStore, ResponseStore, StoredItem } from '../store/store.js';
import { parseRequest } from '../validation/parse-request.js';
import { checkToolOutputsHaveCalls, normalizeInputItems } from './normalize-input-items.js';
import { promptCacheSettingsOf } from './prompt-cache-settings.js';
import { functionToolSchema, type ResponseCreateParams } from './response-create-params.js';
import { withAddedInstructions } from './skills-instructions.js';
import { shellToolNames, shellToolSchema, type ShellSetup, type ShellToolParams } from './shell-tool.js';

/** A validated create request with its context loaded: everything needed to run and record it. */
export interface PreparedResponse {
  readonly params: ResponseCreateParams;
  readonly projectId: string;
  readonly resolved: ResolvedModel;
  /** Items the response continues from (the chain or the conversation), oldest first. */
  readonly contextItems: readonly StoredItem[];
  /** This request's own input items, with ids. */
  readonly inputItems: readonly StoredItem[];
  readonly tools: readonly FunctionTool[];
  /** The request's shell tool and its position in `tools`, when it offers one. */
  readonly shellTool: { readonly params: ShellToolParams; readonly index: number } | null;
  /**
   * Where shell calls run, once settled (`provisionShellEnvironment`); null until then, and for
   * requests that never run (token counting).
   */
  readonly shell: ShellSetup | null;
  readonly conversationId: string | null;
  readonly store: boolean;
  readonly background: boolean;
  readonly stream: boolean;
  /** Tokens of context past which the response compacts (`context_management`), or null for never. */
  readonly compactThreshold: number | null;
  /** Seals and opens compaction items (`encrypted_content`) for this response's project. */
  readonly compactionSealer: CompactionSealer;
}

export interface PrepareDependencies {
  /** Where `previous_response_id` chains and conversations' items are loaded from. */
  readonly store: { readonly responses: ResponseStore; readonly conversations: ConversationStore };
  readonly providers: ProviderRegistry;
  readonly ids: IdGenerator;
  readonly compactionSealer: CompactionSealer;
  /**
   * Context of responses that exist only on a live connection (WebSocket `store:false` turns), looked up
   * before the store.
   */
  readonly localChain?: (responseId: string) => readonly StoredItem[] | undefined;
}

export async function prepareResponse(
  params: ResponseCreateParams,
  projectId: string,
  dependencies: PrepareDependencies,
): Promise<PreparedResponse> {
  checkSupportedFeatures(params);
  const resolved = dependencies.providers.resolve(params.model);
  const { tools, shellTool } = parseTools(params);
  const conversationId = conversationIdOf(params);
  const contextItems = await loadContext(params, projectId, conversationId, dependencies);
  const inputItems = normalizeInputItems(params.input, contextItems, dependencies.ids);
  checkToolOutputsHaveCalls(contextItems, inputItems);
  verifyCompactionItems(
    contextItems,
    inputItems,
    projectId,
    dependencies.compactionSealer,
    params.previous_response_id ? 'previous_response_id' : conversationId ? 'conversation' : null,
  );
  const background = params.background ?? false;
  const store = params.store ?? true;
  if (background && !store) {
    throw new BerthError('invalid_value', 'Background responses must be stored: remove store:false.', {
      param: 'store',
    });
  }
  return {
    params,
    projectId,
    resolved,
    contextItems,
    inputItems,
    tools,
    shellTool,
    shell: null,
    conversationId,
    store,
    background,
    stream: params.stream ?? false,
    compactThreshold: compactThresholdOf(params.context_management),
    compactionSealer: dependencies.compactionSealer,
  };
}

/**
 * The turn request a provider receives for this response: its context, then its own input, then what
 * the response has output so far (later turns of the agent loop).
 */
export function toModelRequest(
  prepared: PreparedResponse,
  outputSoFar: readonly StoredItem[] = [],
): ModelRequest {
  const { params } = prepared;
  return {
    model: prepared.resolved.model,
    instructions: withAddedInstructions(
      params.instructions ?? null,
      prepared.shell?.mode === 'hosted' ? prepared.shell.instructions : null,
    ),
    // Compaction items become the summary they carry (the latest stands in for what came before it):
    // providers understand only ordinary items.
    input: storedContextForModel(
      [...prepared.contextItems, ...prepared.inputItems, ...outputSoFar],
      prepared.compactionSealer,
      prepared.projectId,
    ),
    tools: prepared.tools,
    shellTool: prepared.shellTool !== null,
    toolChoice: params.tool_choice ?? null,
    parallelToolCalls: params.parallel_tool_calls ?? null,
    temperature: params.temperature ?? null,
    topP: params.top_p ?? null,
    maxOutputTokens: params.max_output_tokens ?? null,
    textFormat: params.text?.format ?? null,
    // Validated against the same enums; `mode` is an open string in both, which TypeScript cannot see.
    reasoning: (params.reasoning ?? null) as Reasoning | null,
    promptCache: promptCacheSettingsOf(params),
  };
}

function checkSupportedFeatures(params: ResponseCreateParams): void {
  if (params.prompt !== undefined && params.prompt !== null) {
    throw new BerthError('unsupported_parameter', 'Stored prompt templates are not supported by Berth.', {
      param: 'prompt',
    });
  }
  if (params.previous_response_id && params.conversation) {
    throw new BerthError('invalid_value', 'previous_response_id and conversation cannot be used together.', {
      param: 'conversation',
    });
  }
}

/** The request's function tools and its one shell tool, each validated; other tool types are refused. */
function parseTools(params: ResponseCreateParams): Pick<PreparedResponse, 'tools' | 'shellTool'> {
  const tools: FunctionTool[] = [];
  let shellTool: PreparedResponse['shellTool'] = null;
  for (const [index, tool] of (params.tools ?? []).entries()) {
    if (tool.type === 'shell') {
      if (shellTool) {
        throw new BerthError('invalid_value', 'Only one shell tool may be given.', {
          param: `tools[${index}]`,
        });
      }
      shellTool = { params: parseRequest(shellToolSchema, tool, `tools[${index}]`), index };
    } else {
      tools.push(toFunctionTool(tool, index));
    }
  }
  if (shellTool) {
    const clash = tools.findIndex((tool) => (shellToolNames as readonly string[]).includes(tool.name));
    if (clash >= 0) {
      throw new BerthError(
        'invalid_value',
        `A function tool cannot be named '${tools[clash]?.name}' beside the shell tool: models see the shell under that name.`,
        { param: 'tools' },
      );
    }
  }
  if (typeof params.tool_choice === 'object' && params.tool_choice.type === 'shell' && !shellTool) {
    throw new BerthError(
      'invalid_value',
      "tool_choice names the shell tool, but tools has no 'shell' tool.",
      {
        param: 'tool_choice',
      },
    );
  }
  return { tools, shellTool };
}

function toFunctionTool(tool: Record<string, unknown>, index: number): FunctionTool {
  if (tool.type !== 'function') {
    const type = typeof tool.type === 'string' ? tool.type : String(tool.type);
    throw new BerthError(
      'unsupported_parameter',
      `Tool type '${type}' is not supported by Berth; function and shell tools are.`,
      { param: `tools[${index}].type` },
    );
  }
  const parsed = parseRequest(functionToolSchema, tool, `tools[${index}]`);
  return {
    type: 'function',
    name: parsed.name,
    description: parsed.description ?? null,
    parameters: parsed.parameters ?? null,
    strict: parsed.strict ?? null,
  };
}

function conversationIdOf(params: ResponseCreateParams): string | null {
  if (!params.conversation) return null;
  return typeof params.conversation === 'string' ? params.conversation : params.conversation.id;
}

async function loadContext(
  params: ResponseCreateParams,
  projectId: string,
  conversationId: string | null,
  dependencies: PrepareDependencies,
): Promise<readonly StoredItem[]> {
  const previous = params.previous_response_id;
  if (previous) {
    const items =
      dependencies.localChain?.(previous) ??
      (await dependencies.store.responses.loadChainItems(projectId, previous));
    if (!items) {
      throw new BerthError(
        'previous_response_not_found',
        `Previous response with id '${previous}' not found.`,
        {
          param: 'previous_response_id',
        },
      );
    }
    return items;
  }
  if (conversationId) {
    const items = await dependencies.store.conversations.loadConversationItems(projectId, conversationId);
    if (!items) {
      throw new BerthError('not_found', `Conversation with id '${conversationId}' not found.`, {
        param: 'conversation',
      });
    }
    return items;
  }
  return [];
}
