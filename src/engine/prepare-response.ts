import type { CustomTool, FunctionTool, ResponseInputItem } from 'openai/resources/responses/responses';
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
import {
  checkLocalShellOutputsHaveCalls,
  checkPatchAndLocalShellTools,
  isPatchOrLocalShellTool,
  offeredPatchAndLocalShellTools,
} from './patch-and-local-shell-tools.js';
import { customToolSchema, functionToolSchema, type ResponseCreateParams } from './response-create-params.js';
import type { ReasoningSealer } from './reasoning-sealer.js';
import { openSealedReasoning, verifySealedReasoning } from './reasoning-sealing.js';
import { hostedItemsFor } from './hosted-items-in-context.js';
import {
  hostedIncludeOf,
  isHostedToolType,
  planHostedTools,
  type HostedToolsPlan,
  type UnsupportedHostedTools,
} from './hosted-tools.js';
import { promptCacheSettingsOf } from './prompt-cache-settings.js';
import { withAddedInstructions } from './skills-instructions.js';
import { isGroupedTool, parseGroupedTools, type GroupedTools } from './grouped-tools.js';
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
  /** The client-executed function and custom tools, in request order. */
  readonly tools: readonly (FunctionTool | CustomTool)[];
  /** Hosted tools the provider runs itself, and those left out because it cannot (`hosted-tools.ts`). */
  readonly hosted: HostedToolsPlan;
  /** The request's shell tool and its position in `tools`, when it offers one. */
  readonly shellTool: { readonly params: ShellToolParams; readonly index: number } | null;
  /** Namespace tools and the `tool_search` tool (`grouped-tools.ts`); absent means none. */
  readonly grouped?: GroupedTools;
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
  /** Seals and opens reasoning state (`encrypted_content` of Anthropic's reasoning), when configured. */
  readonly reasoningSealer: ReasoningSealer | null;
}

export interface PrepareDependencies {
  /** Where `previous_response_id` chains and conversations' items are loaded from. */
  readonly store: { readonly responses: ResponseStore; readonly conversations: ConversationStore };
  readonly providers: ProviderRegistry;
  readonly ids: IdGenerator;
  readonly compactionSealer: CompactionSealer;
  readonly reasoningSealer?: ReasoningSealer;
  /**
   * Context of responses that exist only on a live connection (WebSocket `store:false` turns), looked up
   * before the store.
   */
  readonly localChain?: (responseId: string) => readonly StoredItem[] | undefined;
  /** Hosted tools the provider kind cannot run: left out (the default) or refused with a 400. */
  readonly hostedToolsUnsupported?: UnsupportedHostedTools;
}

export async function prepareResponse(
  params: ResponseCreateParams,
  projectId: string,
  dependencies: PrepareDependencies,
): Promise<PreparedResponse> {
  checkSupportedFeatures(params);
  const resolved = dependencies.providers.resolve(params.model);
  const { tools, shellTool, grouped } = parseTools(params);
  const hosted = planHostedTools(
    params,
    resolved.provider.kind,
    dependencies.hostedToolsUnsupported ?? 'ignore',
  );
  const conversationId = conversationIdOf(params);
  const contextItems = await loadContext(params, projectId, conversationId, dependencies);
  const inputItems = normalizeInputItems(params.input, contextItems, dependencies.ids);
  checkToolOutputsHaveCalls(contextItems, inputItems);
  checkLocalShellOutputsHaveCalls(contextItems, inputItems);
  verifyCompactionItems(
    contextItems,
    inputItems,
    projectId,
    dependencies.compactionSealer,
    params.previous_response_id ? 'previous_response_id' : conversationId ? 'conversation' : null,
  );
  if (dependencies.reasoningSealer)
    verifySealedReasoning(inputItems, projectId, dependencies.reasoningSealer);
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
    hosted,
    shellTool,
    grouped,
    shell: null,
    conversationId,
    store,
    background,
    stream: params.stream ?? false,
    compactThreshold: compactThresholdOf(params.context_management),
    compactionSealer: dependencies.compactionSealer,
    reasoningSealer: dependencies.reasoningSealer ?? null,
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
    input: hostedItemsFor(
      prepared.resolved.provider.kind,
      openReasoningFor(
        prepared,
        storedContextForModel(
          [...prepared.contextItems, ...prepared.inputItems, ...outputSoFar],
          prepared.compactionSealer,
          prepared.projectId,
        ),
      ),
    ),
    tools: prepared.tools,
    hostedTools: prepared.hosted.hostedTools,
    hostedInclude: hostedIncludeOf(params.include, prepared.hosted.hostedTools),
    namespaces: prepared.grouped?.namespaces ?? [],
    toolSearch: prepared.grouped?.toolSearch ?? null,
    shellTool: prepared.shellTool !== null,
    ...offeredPatchAndLocalShellTools(params.tools ?? []),
    toolChoice: params.tool_choice ?? null,
    parallelToolCalls: params.parallel_tool_calls ?? null,
    temperature: params.temperature ?? null,
    topP: params.top_p ?? null,
    maxOutputTokens: params.max_output_tokens ?? null,
    textFormat: params.text?.format ?? null,
    // Validated against the same enums; `mode` is an open string in both, which TypeScript cannot see.
    reasoning: (params.reasoning ?? null) as Reasoning | null,
    presencePenalty: params.presence_penalty ?? null,
    frequencyPenalty: params.frequency_penalty ?? null,
    verbosity: params.text?.verbosity ?? null,
    endUser: { safetyIdentifier: params.safety_identifier ?? null, user: params.user ?? null },
    promptCache: promptCacheSettingsOf(params),
  };
}

/** Sealed reasoning, opened for the provider this response runs on (see `openSealedReasoning`). */
function openReasoningFor(prepared: PreparedResponse, input: ResponseInputItem[]): ResponseInputItem[] {
  if (!prepared.reasoningSealer) return input;
  return openSealedReasoning(
    input,
    prepared.reasoningSealer,
    prepared.projectId,
    prepared.resolved.provider.kind,
  );
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

/**
 * The request's client tools (function and custom, in request order) and its one shell tool, each
 * validated; other tool types are refused.
 */
function parseTools(
  params: ResponseCreateParams,
): Pick<PreparedResponse, 'tools' | 'shellTool'> & { grouped: GroupedTools } {
  // Most requests offer no tools and force none: nothing below could find anything to check.
  if (!params.tools?.length && typeof params.tool_choice !== 'object') return noTools();
  const tools: ClientTool[] = [];
  let shellTool: PreparedResponse['shellTool'] = null;
  for (const [index, tool] of (params.tools ?? []).entries()) {
    if (isGroupedTool(tool)) continue;
    if (tool.type === 'shell') {
      if (shellTool) {
        throw new BerthError('invalid_value', 'Only one shell tool may be given.', {
          param: `tools[${index}]`,
        });
      }
      shellTool = { params: parseRequest(shellToolSchema, tool, `tools[${index}]`), index };
    } else if (!isPatchOrLocalShellTool(tool) && !isHostedToolType(tool.type)) {
      tools.push({ tool: toClientTool(tool, index), index });
    }
  }
  checkToolNames(tools, shellTool !== null);
  checkToolChoice(params.tool_choice, tools, shellTool !== null);
  checkPatchAndLocalShellTools(params.tools ?? [], params.tool_choice);
  const grouped = parseGroupedTools(params.tools ?? [], tools);
  return { tools: tools.map(({ tool }) => tool), shellTool, grouped };
}

/** What `parseTools` finds in a request without tools (fresh each time: nothing is shared between responses). */
function noTools(): Pick<PreparedResponse, 'tools' | 'shellTool'> & { grouped: GroupedTools } {
  return { tools: [], shellTool: null, grouped: { namespaces: [], toolSearch: null } };
}

/** A client tool with its position in the request's `tools`, for errors that name it. */
interface ClientTool {
  readonly tool: FunctionTool | CustomTool;
  readonly index: number;
}

/**
 * Names the model calls tools by must say which tool is meant: beside the shell tool no client tool
 * may take a name the shell has in some provider's form, and a custom tool may share its name with no
 * other tool (providers without custom tools offer it as a function of that name, and a call is told
 * apart from a function's only by it).
 */
function checkToolNames(tools: readonly ClientTool[], hasShellTool: boolean): void {
  if (hasShellTool) {
    const clash = tools.find(({ tool }) => (shellToolNames as readonly string[]).includes(tool.name));
    if (clash) {
      throw new BerthError(
        'invalid_value',
        `A ${clash.tool.type} tool cannot be named '${clash.tool.name}' beside the shell tool: models see the shell under that name.`,
        { param: 'tools' },
      );
    }
  }
  for (const [position, { tool, index }] of tools.entries()) {
    const earlier = tools
      .slice(0, position)
      .find(
        (other) => other.tool.name === tool.name && (other.tool.type === 'custom' || tool.type === 'custom'),
      );
    if (earlier) {
      throw new BerthError(
        'invalid_value',
        `Tool names must be unique: tools[${earlier.index}] (${earlier.tool.type}) and tools[${index}] (${tool.type}) are both named '${tool.name}'.`,
        { param: `tools[${index}].name` },
      );
    }
  }
}

/** A `tool_choice` that names a tool must name one the request offers. */
function checkToolChoice(
  choice: ResponseCreateParams['tool_choice'],
  tools: readonly ClientTool[],
  hasShellTool: boolean,
): void {
  if (typeof choice !== 'object') return;
  if (choice.type === 'shell' && !hasShellTool) {
    throw new BerthError(
      'invalid_value',
      "tool_choice names the shell tool, but tools has no 'shell' tool.",
      {
        param: 'tool_choice',
      },
    );
  }
  if (
    choice.type === 'custom' &&
    !tools.some(({ tool }) => tool.type === 'custom' && tool.name === choice.name)
  ) {
    throw new BerthError(
      'invalid_value',
      `tool_choice names the custom tool '${choice.name}', but tools has no custom tool of that name.`,
      { param: 'tool_choice' },
    );
  }
}

function toClientTool(tool: Record<string, unknown>, index: number): FunctionTool | CustomTool {
  if (tool.type === 'custom') return toCustomTool(tool, index);
  return toFunctionTool(tool, index);
}

/** A custom tool in its full form: with no format given, the input is free text (OpenAI's default). */
function toCustomTool(tool: Record<string, unknown>, index: number): CustomTool {
  const parsed = parseRequest(customToolSchema, tool, `tools[${index}]`);
  return {
    type: 'custom',
    name: parsed.name,
    ...(parsed.description === undefined ? {} : { description: parsed.description }),
    format: parsed.format ?? { type: 'text' },
  };
}

function toFunctionTool(tool: Record<string, unknown>, index: number): FunctionTool {
  if (tool.type !== 'function') {
    const type = typeof tool.type === 'string' ? tool.type : String(tool.type);
    throw new BerthError(
      'unsupported_parameter',
      `Tool type '${type}' is not supported by Berth; function, custom, namespace, tool_search, shell, apply_patch, local_shell and OpenAI's hosted tools are.`,
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
    ...(parsed.defer_loading ? { defer_loading: true } : {}),
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
