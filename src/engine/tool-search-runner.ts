import type { FunctionTool, NamespaceTool, Tool } from 'openai/resources/responses/responses';
import { searchTools } from './lexical-tool-search.js';
import type { OutputAssembler } from './output-assembler.js';
import type { PendingToolSearch } from './output-tool-search.js';
import type { PreparedResponse } from './prepare-response.js';

/** How many tools one search loads at most. */
export const toolSearchLimit = 5;

/** A deferred tool, with the namespace it is in. */
interface DeferredTool {
  readonly name: string;
  readonly description: string | null;
  readonly parameters: unknown;
  readonly tool: FunctionTool | NamespaceTool['tools'][number];
  /** The namespace's name, searched like the tool's own words. */
  readonly namespace?: string;
  readonly group?: NamespaceTool;
}

/**
 * Runs the searches the model asked Berth for (providers without tool search, `flatten-tools.ts`):
 * each finds deferred tools by its `query` (`lexical-tool-search.ts`) and appends a
 * `tool_search_output` listing them as OpenAI does (namespaced ones inside their namespace). The next
 * turn offers them, because the output is in its context. Returns how many searches ran.
 */
export function runToolSearches(
  searches: readonly PendingToolSearch[],
  assembler: OutputAssembler,
  prepared: PreparedResponse,
): number {
  const deferred = deferredTools(prepared);
  for (const search of searches) {
    const found = searchTools(queryOf(search.arguments), deferred, toolSearchLimit);
    assembler.addToolSearchOutput(search.callId, asOutputTools(found));
  }
  return searches.length;
}

function deferredTools(prepared: PreparedResponse): DeferredTool[] {
  const tools: DeferredTool[] = prepared.tools.flatMap((tool) =>
    tool.type === 'function' && tool.defer_loading
      ? [{ name: tool.name, description: tool.description ?? null, parameters: tool.parameters, tool }]
      : [],
  );
  for (const namespace of prepared.grouped?.namespaces ?? []) {
    for (const tool of namespace.tools) {
      if (tool.type !== 'function' || !tool.defer_loading) continue;
      tools.push({
        name: tool.name,
        description: tool.description ?? null,
        parameters: tool.parameters,
        tool,
        namespace: namespace.name,
        group: namespace,
      });
    }
  }
  return tools;
}

/** The search words: the `query` argument, or whatever the model wrote when it sent no string query. */
function queryOf(argumentsValue: unknown): string {
  if (typeof argumentsValue === 'string') return argumentsValue;
  const query = (argumentsValue as { query?: unknown } | null)?.query;
  return typeof query === 'string' ? query : JSON.stringify(argumentsValue ?? '');
}

/** Found tools as `tool_search_output.tools`: plain ones as they are, namespaced ones grouped. */
function asOutputTools(found: readonly DeferredTool[]): Tool[] {
  const tools: Tool[] = [];
  const groups = new Map<
    string,
    { type: 'namespace'; name: string; description: string; tools: NamespaceTool['tools'] }
  >();
  for (const entry of found) {
    if (!entry.group) {
      tools.push(entry.tool as FunctionTool);
      continue;
    }
    let group = groups.get(entry.group.name);
    if (!group) {
      group = {
        type: 'namespace',
        name: entry.group.name,
        description: entry.group.description,
        tools: [],
      };
      groups.set(group.name, group);
      tools.push(group);
    }
    group.tools.push(entry.tool);
  }
  return tools;
}
