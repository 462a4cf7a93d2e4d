import type { CustomTool, FunctionTool, ResponseInputItem } from 'openai/resources/responses/responses';
import { z } from 'zod';
import { CustomInputStream } from './custom-input-stream.js';
import type { ModelEvent, ModelRequest } from './model-provider.js';

/**
 * Custom tools on providers that only know function tools (Chat Completions, Anthropic Messages;
 * see `withCustomToolsAsFunctions`).
 * Each custom tool is offered as a function of the same name that takes ONE string argument, `input`:
 * the model writes the custom input there, and a call of that function comes back as a custom tool
 * call whose input is that argument. A grammar cannot be enforced by these providers, so it is put in
 * the function's description for the model to follow; the client still gets whatever the model wrote.
 */

/** The name of the one argument a custom tool takes as a function. */
export const customInputArgument = 'input';

/**
 * The request with every custom tool as its function, a custom `tool_choice` (or `allowed_tools`
 * entry) naming that function, and the custom tool calls and outputs in the context as function calls
 * (arguments `{"input": …}`) and function outputs, so the model sees its own earlier calls in the
 * form it was offered them.
 */
export function customToolsAsFunctions(request: ModelRequest): ModelRequest {
  return {
    ...request,
    tools: request.tools.map((tool) => (tool.type === 'custom' ? customToolAsFunction(tool) : tool)),
    toolChoice: toolChoiceAsFunction(request.toolChoice),
    input: request.input.map(customItemAsFunctionItem),
  };
}

/** The names of the request's custom tools: a call of a function by one of them is a custom tool call. */
export function customToolNamesOf(request: ModelRequest): ReadonlySet<string> {
  return new Set(request.tools.filter((tool) => tool.type === 'custom').map((tool) => tool.name));
}

/** A custom tool as a function of one required string argument, `input`, and nothing else. */
export function customToolAsFunction(tool: CustomTool): FunctionTool {
  return {
    type: 'function',
    name: tool.name,
    description: customToolDescription(tool),
    parameters: {
      type: 'object',
      properties: {
        [customInputArgument]: { type: 'string', description: 'The whole input of the tool, as text.' },
      },
      required: [customInputArgument],
      additionalProperties: false,
    },
    // Left to the provider's default: strict schemas are an OpenAI feature many compatible servers
    // reject, and a schema of one string gains little from it.
    strict: null,
  };
}

/**
 * The tool's description and, when its input has a grammar, what the input must match: these
 * providers cannot constrain the model's output, so the model is asked to.
 */
function customToolDescription(tool: CustomTool): string | null {
  const format = tool.format;
  if (format?.type !== 'grammar') return tool.description ?? null;
  const grammar = format.syntax === 'lark' ? 'Lark grammar' : 'regular expression';
  const rule =
    `The "${customInputArgument}" argument must be text that matches this ${grammar} exactly ` +
    `(${format.syntax} syntax):\n${format.definition}`;
  return tool.description ? `${tool.description}\n\n${rule}` : rule;
}

function toolChoiceAsFunction(choice: ModelRequest['toolChoice']): ModelRequest['toolChoice'] {
  if (choice === null || typeof choice === 'string') return choice;
  if (choice.type === 'custom') return { type: 'function', name: choice.name };
  if (choice.type === 'allowed_tools') {
    const tools = choice.tools.map((tool) =>
      tool['type'] === 'custom' ? { ...tool, type: 'function' } : tool,
    );
    return { ...choice, tools };
  }
  return choice;
}

function customItemAsFunctionItem(item: ResponseInputItem): ResponseInputItem {
  if (item.type === 'custom_tool_call') {
    return {
      type: 'function_call',
      call_id: item.call_id,
      name: item.name,
      arguments: JSON.stringify({ [customInputArgument]: item.input }),
    };
  }
  if (item.type === 'custom_tool_call_output') {
    return { type: 'function_call_output', call_id: item.call_id, output: item.output };
  }
  return item;
}

// The arguments a model sent are read leniently: extra keys change nothing about the input.
const customArgumentsSchema = z.looseObject({ [customInputArgument]: z.string() });

/**
 * The input of a custom tool call that came as a call of its function: the `input` argument, or —
 * when the arguments are not JSON with a string `input` — the raw arguments text, so that whatever
 * the model wrote reaches the client (a model that skipped the JSON wrapper often wrote the input
 * itself).
 */
export function customInputOf(argumentsText: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsText);
  } catch {
    return argumentsText;
  }
  const result = customArgumentsSchema.safeParse(parsed);
  return result.success ? result.data[customInputArgument] : argumentsText;
}

/**
 * A custom tool call arriving as a streamed function call. Its input is decoded from the arguments'
 * JSON as they stream (`CustomInputStream`) and sent on as `custom-call-delta`s; at the end the whole
 * arguments decide the input. When they decide something other than what streamed (arguments that
 * were not the expected JSON after all), no further delta is sent and the end event's input is the
 * truth, as `response.custom_tool_call_input.done` is on OpenAI's wire.
 */
export class StreamedCustomCall {
  readonly #id: string;
  readonly #input = new CustomInputStream();

  constructor(id: string) {
    this.#id = id;
  }

  /** The call's start event. */
  start(callId: string, name: string): ModelEvent {
    return { type: 'custom-call-start', id: this.#id, callId, name };
  }

  /** The input text a piece of the arguments adds, as a delta event, or null when it adds none. */
  delta(argumentsDelta: string): ModelEvent | null {
    const delta = this.#input.push(argumentsDelta);
    return delta === '' ? null : { type: 'custom-call-delta', id: this.#id, delta };
  }

  /** The last delta (input the stream had not yet shown) and the end event, from the whole arguments. */
  end(argumentsText: string): ModelEvent[] {
    const input = customInputOf(argumentsText);
    const streamed = this.#input.decoded;
    const rest = input.startsWith(streamed) ? input.slice(streamed.length) : '';
    return [
      ...(rest === '' ? [] : [{ type: 'custom-call-delta' as const, id: this.#id, delta: rest }]),
      { type: 'custom-call-end', id: this.#id, input },
    ];
  }
}
