import type {
  CustomTool,
  FunctionTool,
  ResponseInputItem,
  Tool,
  ToolSearchTool,
} from 'openai/resources/responses/responses';
import type { ModelEvent, ModelRequest } from './model-provider.js';
import { ToolNameMap } from './tool-name-map.js';

/**
 * Namespaces and tool search on providers that know only a flat list of tools (Chat Completions,
 * Anthropic Messages). Each namespaced tool is offered under a flat name (`ToolNameMap`) with the
 * namespace's description before its own; tools marked `defer_loading` are left out until a
 * `tool_search_output` in the context loads them; and the search itself is a `tool_search` function
 * of one string argument, `query`, whose calls come back as `tool-search-call` events for Berth (or
 * the client) to answer. The context's namespaced calls and searches are rewritten to those names, so
 * the model sees its own earlier calls as it made them.
 */
export interface FlattenedTools {
  /** The request with only plain function and custom tools, and no namespaced or search items. */
  readonly request: ModelRequest;
  /** Turns one event of the provider's reply back into the request's terms (names, namespaces, searches). */
  readonly restore: (event: ModelEvent) => ModelEvent[];
}

/** Names of the shell tool on these providers; no flattened name may take them. */
const shellNames = ['shell', 'bash'];

/** One tool the request defines (or a search loaded), with where it lives. */
interface ToolEntry {
  readonly tool: FunctionTool | CustomTool;
  readonly namespace?: { readonly name: string; readonly description: string };
  readonly deferred: boolean;
}

export function flattenTools(request: ModelRequest, maxNameLength: number): FlattenedTools {
  const namespaces = request.namespaces ?? [];
  const toolSearch = request.toolSearch ?? null;
  if (namespaces.length === 0 && toolSearch === null && !hasNamespacedItems(request.input)) {
    return { request, restore: (event) => [event] };
  }
  const entries = toolEntries(request);
  const names = ToolNameMap.build(
    {
      plain: entries.filter((entry) => !entry.namespace).map((entry) => entry.tool.name),
      namespaced: entries.flatMap((entry) =>
        entry.namespace ? [{ namespace: entry.namespace.name, name: entry.tool.name }] : [],
      ),
      reserved: request.shellTool ? shellNames : [],
      toolSearch: toolSearch !== null,
    },
    maxNameLength,
  );
  const loaded = loadedToolKeys(request.input);
  const visible = entries.filter((entry) => !entry.deferred || loaded.has(keyOf(entry)));
  const offersSearch =
    toolSearch !== null && (toolSearch.execution === 'client' || entries.some((entry) => entry.deferred));
  const tools = visible.map((entry) => flatTool(entry, names));
  if (offersSearch && toolSearch)
    tools.push(searchFunction(toolSearch, names.flatName({ kind: 'tool-search' })));
  const flat: ModelRequest = {
    ...request,
    tools,
    namespaces: [],
    toolSearch: null,
    toolChoice: flatToolChoice(request, names),
    input: flatInput(request.input, names),
  };
  return { request: flat, restore: restorer(names, toolSearch?.execution ?? 'server') };
}

function hasNamespacedItems(input: readonly ResponseInputItem[]): boolean {
  return input.some(
    (item) =>
      item.type === 'tool_search_call' ||
      item.type === 'tool_search_output' ||
      ((item.type === 'function_call' || item.type === 'custom_tool_call') && Boolean(item.namespace)),
  );
}

function keyOf(entry: {
  readonly tool: { readonly name: string };
  readonly namespace?: { readonly name: string };
}): string {
  return entry.namespace ? `${entry.namespace.name}\u0000${entry.tool.name}` : entry.tool.name;
}

/** Every tool of the request, then the tools searches loaded that the request does not define. */
function toolEntries(request: ModelRequest): ToolEntry[] {
  const entries: ToolEntry[] = request.tools.map((tool) => ({
    tool,
    deferred: tool.type === 'function' && tool.defer_loading === true,
  }));
  for (const namespace of request.namespaces ?? []) {
    for (const member of namespace.tools) {
      const tool: FunctionTool | CustomTool =
        member.type === 'function'
          ? {
              type: 'function',
              name: member.name,
              description: member.description ?? null,
              parameters: (member.parameters ?? null) as FunctionTool['parameters'],
              strict: member.strict ?? null,
            }
          : member;
      entries.push({
        tool,
        namespace: { name: namespace.name, description: namespace.description },
        deferred: member.type === 'function' && member.defer_loading === true,
      });
    }
  }
  // A client that runs the search itself may load tools the request never listed.
  const known = new Set(entries.map(keyOf));
  for (const entry of loadedEntries(request.input)) {
    if (known.has(keyOf(entry))) continue;
    known.add(keyOf(entry));
    entries.push(entry);
  }
  return entries;
}

/** The tools `tool_search_output` items in the context loaded, as entries. */
function loadedEntries(input: readonly ResponseInputItem[]): ToolEntry[] {
  const entries: ToolEntry[] = [];
  for (const item of input) {
    if (item.type !== 'tool_search_output') continue;
    for (const tool of item.tools as readonly Tool[]) {
      if (tool.type === 'function' || tool.type === 'custom')
        entries.push({ tool: plainTool(tool), deferred: false });
      if (tool.type === 'namespace') {
        for (const member of tool.tools) {
          entries.push({
            tool: plainTool(member as FunctionTool | CustomTool),
            namespace: { name: tool.name, description: tool.description },
            deferred: false,
          });
        }
      }
    }
  }
  return entries;
}

function loadedToolKeys(input: readonly ResponseInputItem[]): Set<string> {
  return new Set(loadedEntries(input).map(keyOf));
}

function plainTool(tool: FunctionTool | CustomTool): FunctionTool | CustomTool {
  if (tool.type === 'custom') return tool;
  return {
    type: 'function',
    name: tool.name,
    description: tool.description ?? null,
    parameters: tool.parameters ?? null,
    strict: tool.strict ?? null,
  };
}

/** The tool under its flat name, the namespace's description before its own. */
function flatTool(entry: ToolEntry, names: ToolNameMap): FunctionTool | CustomTool {
  const { tool, namespace } = entry;
  const plain = plainTool(tool);
  if (!namespace) return plain;
  const name = names.flatName({ kind: 'tool', name: tool.name, namespace: namespace.name });
  const prefix = `${namespace.name}: ${namespace.description}`.trim();
  const description = tool.description ? `${prefix}\n\n${tool.description}` : prefix;
  return { ...plain, name, description };
}

/** The name of the one argument Berth's search function takes. */
export const toolSearchQueryArgument = 'query';

function searchFunction(tool: ToolSearchTool, name: string): FunctionTool {
  return {
    type: 'function',
    name,
    description:
      tool.description ??
      'Searches for more tools by what they do. Tools it finds can be called from your next step.',
    parameters: (tool.parameters as FunctionTool['parameters'] | undefined) ?? {
      type: 'object',
      properties: {
        [toolSearchQueryArgument]: { type: 'string', description: 'Words describing the tool you need.' },
      },
      required: [toolSearchQueryArgument],
      additionalProperties: false,
    },
    strict: null,
  };
}

/** A choice of a function that only a namespace has is the choice of its flat name. */
function flatToolChoice(request: ModelRequest, names: ToolNameMap): ModelRequest['toolChoice'] {
  const choice = request.toolChoice;
  if (choice === null || typeof choice === 'string') return choice;
  const flat = (name: string): string => {
    if (request.tools.some((tool) => tool.name === name)) return name;
    const owners = (request.namespaces ?? []).filter((namespace) =>
      namespace.tools.some((tool) => tool.name === name),
    );
    const owner = owners[0];
    return owners.length === 1 && owner
      ? names.flatName({ kind: 'tool', name, namespace: owner.name })
      : name;
  };
  if (choice.type === 'function' || choice.type === 'custom') return { ...choice, name: flat(choice.name) };
  if (choice.type === 'allowed_tools') {
    const tools = choice.tools.map((tool) =>
      typeof tool['name'] === 'string' ? { ...tool, name: flat(tool['name']) } : tool,
    );
    return { ...choice, tools };
  }
  return choice;
}

/** The context with namespaced calls under their flat names and searches as calls of the search function. */
function flatInput(input: readonly ResponseInputItem[], names: ToolNameMap): ResponseInputItem[] {
  const searchName = names.flatName({ kind: 'tool-search' });
  let lastSearchCallId = 'tool_search';
  return input.map((item, index): ResponseInputItem => {
    if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      const { namespace, ...rest } = item;
      if (!namespace) return rest;
      return { ...rest, name: names.flatName({ kind: 'tool', name: item.name, namespace }) };
    }
    if (item.type === 'function_call_output') {
      const { namespace: _namespace, ...rest } = item;
      return rest;
    }
    if (item.type === 'tool_search_call') {
      // OpenAI's own searches may carry no call_id; the output that follows answers the call before it.
      lastSearchCallId = item.call_id ?? item.id ?? `tool_search_${index}`;
      return {
        type: 'function_call',
        call_id: lastSearchCallId,
        name: searchName,
        arguments: JSON.stringify(item.arguments ?? {}),
      };
    }
    if (item.type === 'tool_search_output') {
      return {
        type: 'function_call_output',
        call_id: item.call_id ?? lastSearchCallId,
        output: searchOutputText(item.tools, names),
      };
    }
    return item;
  });
}

/** What the model reads as the search's result: the names it can call now. */
function searchOutputText(tools: readonly Tool[], names: ToolNameMap): string {
  const found = tools.flatMap((tool) => {
    if (tool.type === 'function' || tool.type === 'custom')
      return [names.flatName({ kind: 'tool', name: tool.name })];
    if (tool.type === 'namespace') {
      return tool.tools.map((member) =>
        names.flatName({ kind: 'tool', name: member.name, namespace: tool.name }),
      );
    }
    return [];
  });
  if (found.length === 0) return 'No tools matched the search.';
  return `Found ${found.length} tool${found.length === 1 ? '' : 's'}, now available to call: ${found.join(', ')}.`;
}

/**
 * Maps a reply's calls back: a flat name to the tool's own name and namespace, and a call of the
 * search function (its arguments gathered, none streamed) to one `tool-search-call`.
 */
function restorer(names: ToolNameMap, execution: 'server' | 'client'): (event: ModelEvent) => ModelEvent[] {
  const searches = new Map<string, { callId: string; arguments: string }>();
  return (event) => {
    if (event.type === 'tool-call-start' || event.type === 'custom-call-start') {
      const target = names.targetOf(event.name);
      if (target?.kind === 'tool-search' && event.type === 'tool-call-start') {
        searches.set(event.id, { callId: event.callId, arguments: '' });
        return [];
      }
      if (target?.kind === 'tool' && target.namespace !== undefined) {
        return [{ ...event, name: target.name, namespace: target.namespace }];
      }
      return [event];
    }
    const search = 'id' in event ? searches.get(event.id) : undefined;
    if (!search) return [event];
    if (event.type === 'tool-call-delta') {
      search.arguments += event.delta;
      return [];
    }
    if (event.type === 'tool-call-end') {
      searches.delete(event.id);
      return [
        {
          type: 'tool-search-call',
          callId: search.callId,
          arguments: parseArguments(event.arguments),
          execution,
        },
      ];
    }
    return [event];
  };
}

/** The search's arguments as the model wrote them: JSON when it is, else the text as the query. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { [toolSearchQueryArgument]: text };
  }
}
