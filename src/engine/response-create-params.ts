import { z } from 'zod';
import { contextManagementSchema } from './compaction/context-management.js';
import { hostedToolChoiceSchemas } from './hosted-tool-choice-schema.js';
import { inputItemSchema } from './input-item-schema.js';
import { applyPatchToolChoiceSchema } from './patch-and-local-shell-tools.js';
import { promptCacheRetentionSchema } from './prompt-cache-settings.js';

const toolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');

const functionTool = z.strictObject({
  type: z.literal('function'),
  name: toolName,
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
  // Newer SDK fields for OpenAI's own tool-search and programmatic calling; accepted and ignored.
  allowed_callers: z.array(z.string()).nullable().optional(),
  async: z.boolean().nullable().optional(),
  defer_loading: z.boolean().nullable().optional(),
  output_schema: z.record(z.string(), z.unknown()).nullable().optional(),
});

/**
 * OpenAI's `custom` tool: the model writes free text as the tool's input instead of JSON arguments,
 * optionally constrained by a grammar. The format is checked strictly, because a grammar Berth
 * misreads would be passed on (or described to the model) wrongly.
 */
const customTool = z.strictObject({
  type: z.literal('custom'),
  name: toolName,
  description: z.string().optional(),
  format: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('text') }),
      z.strictObject({
        type: z.literal('grammar'),
        syntax: z.enum(['lark', 'regex']),
        definition: z.string().min(1),
      }),
    ])
    .optional(),
  // Newer SDK fields for OpenAI's own tool-search and programmatic calling; accepted and ignored.
  allowed_callers: z.array(z.string()).nullable().optional(),
  async: z.boolean().nullable().optional(),
  defer_loading: z.boolean().nullable().optional(),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), name: z.string().min(1) }),
  z.strictObject({ type: z.literal('custom'), name: z.string().min(1) }),
  z.strictObject({ type: z.literal('shell') }),
  applyPatchToolChoiceSchema,
  z.strictObject({
    type: z.literal('allowed_tools'),
    mode: z.enum(['auto', 'required']),
    tools: z.array(z.record(z.string(), z.unknown())),
  }),
  ...hostedToolChoiceSchemas,
]);

const textFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);

const metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, 'at most 16 pairs are allowed');

/**
 * The body of `POST /v1/responses` (and of a WebSocket `response.create`), validated strictly. Fields
 * OpenAI defines that only tune OpenAI's own service (tiers, moderation) are accepted and ignored,
 * so unmodified clients keep working; fields that would change the answer and that Berth cannot
 * honour are rejected by `checkSupportedFeatures`.
 */
export const responseCreateParamsSchema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItemSchema)]).optional(),
  instructions: z.string().nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  conversation: z
    .union([z.string().min(1), z.strictObject({ id: z.string().min(1) })])
    .nullable()
    .optional(),
  store: z.boolean().nullable().optional(),
  metadata: metadata.nullable().optional(),
  max_output_tokens: z.int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  // Not in OpenAI's Responses types, but in the Open Responses spec and its response object; sent to
  // Chat Completions upstreams, which know them.
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  tools: z.array(z.record(z.string(), z.unknown())).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  max_tool_calls: z.int().min(1).nullable().optional(),
  text: z
    .strictObject({
      format: textFormat.optional(),
      verbosity: z.enum(['low', 'medium', 'high']).nullable().optional(),
    })
    .nullable()
    .optional(),
  reasoning: z
    .strictObject({
      effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullable().optional(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullable().optional(),
      generate_summary: z.enum(['auto', 'concise', 'detailed']).nullable().optional(),
      context: z.enum(['auto', 'current_turn', 'all_turns']).nullable().optional(),
      mode: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  stream: z.boolean().nullable().optional(),
  background: z.boolean().nullable().optional(),
  // Passed to upstreams that take them (OpenAI's Responses API); they steer Anthropic's cache TTL too.
  prompt_cache_key: z.string().nullable().optional(),
  prompt_cache_retention: promptCacheRetentionSchema.nullable().optional(),
  // Accepted and ignored: they tune OpenAI's hosted service, not the answer.
  include: z.array(z.string()).nullable().optional(),
  stream_options: z.strictObject({ include_obfuscation: z.boolean().optional() }).nullable().optional(),
  user: z.string().nullable().optional(),
  // Sent by coding-agent harnesses (string pairs describing the client); OpenAI's API accepts it ahead
  // of its SDK types. Kept for the log, not sent upstream.
  client_metadata: z.record(z.string(), z.string()).nullable().optional(),
  safety_identifier: z.string().max(128).nullable().optional(),
  prompt_cache_options: z.record(z.string(), z.unknown()).nullable().optional(),
  moderation: z.unknown().optional(),
  image: z.unknown().optional(),
  access_programs: z.unknown().optional(),
  service_tier: z.string().nullable().optional(),
  truncation: z.enum(['auto', 'disabled']).nullable().optional(),
  top_logprobs: z.int().min(0).max(20).nullable().optional(),
  context_management: contextManagementSchema.optional(),
  // Accepted by the schema so the error can say why it is not supported.
  prompt: z.unknown().optional(),
});

export type ResponseCreateParams = z.infer<typeof responseCreateParamsSchema>;
export const functionToolSchema = functionTool;
export type FunctionToolParams = z.infer<typeof functionTool>;
export const customToolSchema = customTool;
export type CustomToolParams = z.infer<typeof customTool>;
