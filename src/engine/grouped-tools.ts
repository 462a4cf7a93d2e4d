import type {
  CustomTool,
  FunctionTool,
  NamespaceTool,
  ToolSearchTool,
} from 'openai/resources/responses/responses';
import { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import { parseRequest } from '../validation/parse-request.js';
import { customToolSchema, functionToolSchema } from './response-create-params.js';

/**
 * The request's tools that group or hide other tools: `namespace` tools (function and custom tools
 * under a shared name) and the `tool_search` tool (with which tools marked `defer_loading` are found
 * only when the model searches for them).
 */
export interface GroupedTools {
  /** Namespace tools, in request order, validated. */
  readonly namespaces: readonly NamespaceTool[];
  /** The request's `tool_search` tool, or null. */
  readonly toolSearch: ToolSearchTool | null;
}

/** The tool types `parseGroupedTools` reads; `parseTools` leaves them to it. */
export function isGroupedTool(tool: Record<string, unknown>): boolean {
  return tool.type === 'namespace' || tool.type === 'tool_search';
}

const namespaceToolSchema = z.strictObject({
  type: z.literal('namespace'),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
  description: z.string(),
  tools: z.array(z.record(z.string(), z.unknown())).min(1, 'a namespace must hold at least one tool'),
});

const toolSearchToolSchema = z.strictObject({
  type: z.literal('tool_search'),
  description: z.string().nullable().optional(),
  execution: z.enum(['server', 'client']).optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
});

/**
 * Validates the namespace and tool search tools, and that `defer_loading` is used only where a search
 * can load the tool (400s name the param). `plainTools` are the request's other client tools, with
 * their positions in `tools`. A `tool_search` tool without deferred tools is accepted (clients add it
 * whatever they defer); it then has nothing to find.
 */
export function parseGroupedTools(
  tools: readonly Record<string, unknown>[],
  plainTools: readonly { readonly tool: FunctionTool | CustomTool; readonly index: number }[],
): GroupedTools {
  const namespaces: NamespaceTool[] = [];
  let toolSearch: ToolSearchTool | null = null;
  const deferredAt: string[] = [];
  for (const [index, tool] of tools.entries()) {
    if (tool.type === 'namespace') {
      const namespace = parseNamespaceTool(tool, index);
      namespace.tools.forEach((member, memberIndex) => {
        if (member.type === 'function' && member.defer_loading)
          deferredAt.push(`tools[${index}].tools[${memberIndex}].defer_loading`);
      });
      namespaces.push(namespace);
    } else if (tool.type === 'tool_search') {
      if (toolSearch) {
        throw new BerthError('invalid_value', 'Only one tool_search tool may be given.', {
          param: `tools[${index}]`,
        });
      }
      const parsed = parseRequest(toolSearchToolSchema, tool, `tools[${index}]`);
      toolSearch = {
        type: 'tool_search',
        ...(parsed.description == null ? {} : { description: parsed.description }),
        ...(parsed.execution === undefined ? {} : { execution: parsed.execution }),
        ...(parsed.parameters == null ? {} : { parameters: parsed.parameters }),
      };
    }
  }
  for (const { tool, index } of plainTools) {
    if (tool.type === 'function' && tool.defer_loading) deferredAt.push(`tools[${index}].defer_loading`);
  }
  const firstDeferred = deferredAt[0];
  if (!toolSearch && firstDeferred !== undefined) {
    throw new BerthError(
      'invalid_value',
      'A tool with defer_loading:true can only be loaded by a search: add a {"type":"tool_search"} tool.',
      { param: firstDeferred },
    );
  }
  return { namespaces, toolSearch };
}

/** A namespace tool: one or more function or custom tools, each name once, no namespace inside. */
function parseNamespaceTool(tool: Record<string, unknown>, index: number): NamespaceTool {
  const parsed = parseRequest(namespaceToolSchema, tool, `tools[${index}]`);
  const members: NamespaceTool['tools'] = [];
  const seen = new Set<string>();
  for (const [memberIndex, member] of parsed.tools.entries()) {
    const param = `tools[${index}].tools[${memberIndex}]`;
    if (member.type === 'namespace') {
      throw new BerthError('invalid_value', 'A namespace cannot hold another namespace.', {
        param: `${param}.type`,
      });
    }
    let parsedMember: NamespaceTool['tools'][number];
    if (member.type === 'custom') {
      const custom = parseRequest(customToolSchema, member, param);
      parsedMember = {
        type: 'custom',
        name: custom.name,
        ...(custom.description === undefined ? {} : { description: custom.description }),
        format: custom.format ?? { type: 'text' },
      };
    } else if (member.type === 'function') {
      const fn = parseRequest(functionToolSchema, member, param);
      parsedMember = {
        type: 'function',
        name: fn.name,
        description: fn.description ?? null,
        parameters: fn.parameters ?? null,
        strict: fn.strict ?? null,
        ...(fn.defer_loading ? { defer_loading: true } : {}),
      };
    } else {
      const type = typeof member.type === 'string' ? member.type : String(member.type);
      throw new BerthError(
        'invalid_value',
        `A namespace holds function and custom tools; '${type}' cannot be in one.`,
        { param: `${param}.type` },
      );
    }
    if (seen.has(parsedMember.name)) {
      throw new BerthError(
        'invalid_value',
        `Tool names must be unique within a namespace: '${parsedMember.name}' is in '${parsed.name}' twice.`,
        { param: `${param}.name` },
      );
    }
    seen.add(parsedMember.name);
    members.push(parsedMember);
  }
  return { type: 'namespace', name: parsed.name, description: parsed.description, tools: members };
}
