import { z } from 'zod';

// Everything here is deliberately lenient: OpenAI adds fields and event types without notice, and
// Responses-compatible servers (vLLM, Ollama, gateways) omit optional fields. We require only what we
// read, allow unknown keys, and ignore event types we do not map.

const contentPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().nullish(),
  refusal: z.string().nullish(),
});

/** A `shell_call`'s action; `commands` is empty while a streamed call's commands are still coming. */
const shellActionSchema = z.looseObject({
  commands: z.array(z.string()).nullish(),
  timeout_ms: z.number().nullish(),
  max_output_length: z.number().nullish(),
});

/**
 * An item of `response.output`: message, reasoning, function_call, custom_tool_call, shell_call, or a
 * kind we ignore.
 */
export const outputItemSchema = z.looseObject({
  type: z.string(),
  content: z.array(contentPartSchema).nullish(),
  summary: z.array(z.looseObject({ text: z.string().nullish() })).nullish(),
  encrypted_content: z.string().nullish(),
  call_id: z.string().nullish(),
  name: z.string().nullish(),
  // A function call's arguments are JSON text; a `tool_search_call`'s are the JSON value itself.
  arguments: z.unknown().optional(),
  input: z.string().nullish(),
  phase: z.string().nullish(),
  // A local_shell_call's action has `command`, read by map-openai-patch-and-local-shell-items.ts.
  namespace: z.string().nullish(),
  execution: z.enum(['server', 'client']).nullish(),
  // The tools a `tool_search_output` loaded, passed on as they are: OpenAI defines their shapes.
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  action: shellActionSchema.nullish(),
  operation: z.unknown().optional(),
});

export type OutputItem = z.infer<typeof outputItemSchema>;

const usageSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  input_tokens_details: z
    .looseObject({ cached_tokens: z.number().nullish(), cache_write_tokens: z.number().nullish() })
    .nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});

export type WireUsage = z.infer<typeof usageSchema>;

/** The Response object, as returned by the non-streaming call and carried by terminal stream events. */
export const responseSchema = z.looseObject({
  status: z.string().nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  error: z.looseObject({ message: z.string().nullish(), code: z.string().nullish() }).nullish(),
  usage: usageSchema.nullish(),
  output: z.array(outputItemSchema).nullish(),
});

export type WireResponse = z.infer<typeof responseSchema>;

// Compatible servers sometimes leave out the index of the only content or summary part.
const contentIndex = z.number().default(0);
const summaryIndex = z.number().default(0);

/** The stream events the adapter maps; any other `type` is skipped without parsing. */
export const streamEventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.enum(['response.output_item.added', 'response.output_item.done']),
    output_index: z.number(),
    item: outputItemSchema,
  }),
  z.looseObject({
    type: z.enum(['response.content_part.added', 'response.content_part.done']),
    output_index: z.number(),
    content_index: contentIndex,
    part: contentPartSchema,
  }),
  z.looseObject({
    type: z.enum(['response.output_text.delta', 'response.refusal.delta']),
    output_index: z.number(),
    content_index: contentIndex,
    delta: z.string(),
  }),
  z.looseObject({
    type: z.literal('response.output_text.done'),
    output_index: z.number(),
    content_index: contentIndex,
    text: z.string().nullish(),
  }),
  z.looseObject({
    type: z.literal('response.refusal.done'),
    output_index: z.number(),
    content_index: contentIndex,
    refusal: z.string().nullish(),
  }),
  z.looseObject({
    type: z.literal('response.function_call_arguments.delta'),
    output_index: z.number(),
    delta: z.string(),
  }),
  z.looseObject({
    type: z.literal('response.custom_tool_call_input.delta'),
    output_index: z.number(),
    delta: z.string(),
  }),
  z.looseObject({
    type: z.literal('response.custom_tool_call_input.done'),
    output_index: z.number(),
    input: z.string().nullish(),
  }),
  z.looseObject({
    type: z.enum(['response.shell_call_command.added', 'response.shell_call_command.done']),
    output_index: z.number(),
    command_index: z.number(),
    command: z.string().nullish(),
  }),
  z.looseObject({
    type: z.literal('response.shell_call_command.delta'),
    output_index: z.number(),
    command_index: z.number(),
    delta: z.string(),
  }),
  z.looseObject({
    type: z.literal('response.reasoning_summary_part.added'),
    output_index: z.number(),
    summary_index: summaryIndex,
  }),
  z.looseObject({
    type: z.literal('response.reasoning_summary_text.delta'),
    output_index: z.number(),
    summary_index: summaryIndex,
    delta: z.string(),
  }),
  z.looseObject({
    type: z.enum(['response.completed', 'response.incomplete', 'response.failed']),
    response: responseSchema,
  }),
  // The SDK throws on an SSE frame named `error`; a server that omits the name still sends this body.
  z.looseObject({
    type: z.literal('error'),
    message: z.string().nullish(),
    code: z.string().nullish(),
  }),
]);

export type StreamEvent = z.infer<typeof streamEventSchema>;

/** The event types `streamEventSchema` knows. */
export const mappedStreamEventTypes: ReadonlySet<string> = new Set(
  streamEventSchema.options.flatMap((option) => {
    const type = option.shape.type;
    return type instanceof z.ZodEnum ? type.options : [type.value];
  }),
);
