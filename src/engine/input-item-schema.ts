import { z } from 'zod';
import { hostedItemSchema } from './hosted-item-schema.js';
import {
  applyPatchCallItemSchema,
  applyPatchCallOutputItemSchema,
  localShellCallItemSchema,
  localShellCallOutputItemSchema,
} from './patch-and-local-shell-tools.js';
import { toolSearchCallItemSchema, toolSearchOutputItemSchema } from './tool-search-item-schemas.js';

/**
 * Input items as clients send them (OpenAI's `ResponseInputItem`), validated strictly: an unknown field
 * is a 400 naming it. Only the item types Berth can carry to a model are accepted.
 */
/** Marks a prompt-cache boundary on OpenAI's service; accepted and ignored. */
const cacheBreakpoint = { prompt_cache_breakpoint: z.unknown().optional() };

const inputText = z.strictObject({ type: z.literal('input_text'), text: z.string(), ...cacheBreakpoint });
const inputImage = z.strictObject({
  type: z.literal('input_image'),
  detail: z.enum(['low', 'high', 'auto', 'original']).optional(),
  image_url: z.string().nullable().optional(),
  file_id: z.string().nullable().optional(),
  ...cacheBreakpoint,
});
const inputFile = z.strictObject({
  type: z.literal('input_file'),
  file_id: z.string().nullable().optional(),
  file_data: z.string().optional(),
  file_url: z.string().optional(),
  filename: z.string().optional(),
  detail: z.enum(['low', 'high', 'auto']).optional(),
  ...cacheBreakpoint,
});
const outputText = z.strictObject({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.record(z.string(), z.unknown())).optional(),
  logprobs: z.array(z.unknown()).optional(),
});
const refusal = z.strictObject({ type: z.literal('refusal'), refusal: z.string() });

const contentPart = z.discriminatedUnion('type', [inputText, inputImage, inputFile, outputText, refusal]);

const status = z.enum(['in_progress', 'completed', 'incomplete']).optional();

export const messageItemSchema = z.strictObject({
  type: z.literal('message'),
  id: z.string().optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
  status,
  phase: z.enum(['commentary', 'final_answer']).nullable().optional(),
});

/** Fields newer SDKs send for OpenAI's programmatic tool calling and tool namespaces; ignored. */
const callProvenance = {
  caller: z.unknown().optional(),
  namespace: z.string().nullable().optional(),
  async: z.boolean().nullable().optional(),
};

const functionCallItem = z.strictObject({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status,
  ...callProvenance,
});

const functionCallOutputItem = z.strictObject({
  type: z.literal('function_call_output'),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(z.discriminatedUnion('type', [inputText, inputImage, inputFile]))]),
  status: status.nullable(),
  name: z.string().nullable().optional(),
  ...callProvenance,
});

/** A custom tool call as the model made it: free text `input` instead of JSON arguments. */
const customToolCallItem = z.strictObject({
  type: z.literal('custom_tool_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: z.string(),
  status,
  ...callProvenance,
});

/** The client's answer to a custom tool call; its output takes the same forms as a function's. */
const customToolCallOutputItem = z.strictObject({
  type: z.literal('custom_tool_call_output'),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(z.discriminatedUnion('type', [inputText, inputImage, inputFile]))]),
  status: status.nullable(),
  // Output items listed back by OpenAI carry who made them; a client may echo them as input.
  created_by: z.string().optional(),
  caller: z.unknown().optional(),
});

const reasoningItem = z.strictObject({
  type: z.literal('reasoning'),
  id: z.string().optional(),
  summary: z.array(z.strictObject({ type: z.literal('summary_text'), text: z.string() })),
  content: z.array(z.strictObject({ type: z.literal('reasoning_text'), text: z.string() })).optional(),
  encrypted_content: z.string().nullable().optional(),
  status,
});

const shellCallItem = z.strictObject({
  type: z.literal('shell_call'),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  action: z.strictObject({
    commands: z.array(z.string()),
    timeout_ms: z.int().min(1).nullable().optional(),
    max_output_length: z.int().min(1).nullable().optional(),
  }),
  environment: z.record(z.string(), z.unknown()).nullable().optional(),
  status: status.nullable(),
  created_by: z.string().optional(),
  caller: z.unknown().optional(),
});

const shellOutputEntry = z.strictObject({
  stdout: z.string(),
  stderr: z.string(),
  outcome: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('exit'), exit_code: z.int() }),
    z.strictObject({ type: z.literal('timeout') }),
  ]),
  created_by: z.string().optional(),
});

const shellCallOutputItem = z.strictObject({
  type: z.literal('shell_call_output'),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  output: z.array(shellOutputEntry),
  max_output_length: z.int().min(1).nullable().optional(),
  status: status.nullable(),
  created_by: z.string().optional(),
  caller: z.unknown().optional(),
});

/** A compaction item sent back: its `encrypted_content` is Berth's sealed summary (src/compaction). */
const compactionItem = z.strictObject({
  type: z.literal('compaction'),
  id: z.string().min(1).nullable().optional(),
  encrypted_content: z.string().min(1),
});

/** Accepted by the schema so the error can say why it is not supported. */
const compactionTriggerItem = z.strictObject({
  type: z.literal('compaction_trigger'),
  id: z.string().nullable().optional(),
});

const itemReference = z.strictObject({
  type: z.literal('item_reference'),
  id: z.string().min(1),
});

export const inputItemSchema = z.preprocess(
  // The "easy" message form may omit `type`; OpenAI treats any object with a role as a message.
  (value) => {
    if (typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record.type !== undefined && record.type !== null) return value;
    // `{id}` alone is an item reference, whose `type` is optional too.
    if ('role' in record) return { ...record, type: 'message' };
    if ('id' in record) return { ...record, type: 'item_reference' };
    return value;
  },
  z.discriminatedUnion('type', [
    messageItemSchema,
    functionCallItem,
    functionCallOutputItem,
    customToolCallItem,
    customToolCallOutputItem,
    reasoningItem,
    shellCallItem,
    shellCallOutputItem,
    applyPatchCallItemSchema,
    applyPatchCallOutputItemSchema,
    localShellCallItemSchema,
    localShellCallOutputItemSchema,
    compactionItem,
    compactionTriggerItem,
    itemReference,
    hostedItemSchema,
    toolSearchCallItemSchema,
    toolSearchOutputItemSchema,
  ]),
);

export type InputItem = z.infer<typeof inputItemSchema>;
