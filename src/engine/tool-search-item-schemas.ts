import { z } from 'zod';

const status = z.enum(['in_progress', 'completed', 'incomplete']).nullable().optional();

/** A tool search the model made, sent back as input (OpenAI's `tool_search_call`). */
export const toolSearchCallItemSchema = z.strictObject({
  type: z.literal('tool_search_call'),
  id: z.string().nullable().optional(),
  call_id: z.string().nullable().optional(),
  arguments: z.unknown(),
  execution: z.enum(['server', 'client']).optional(),
  status,
  created_by: z.string().optional(),
});

/**
 * The tools a search loaded (OpenAI's `tool_search_output`), from Berth's or OpenAI's search, or
 * written by a client that runs searches itself. The tools are checked only for a `type`: they are
 * tool definitions in OpenAI's shapes, and what Berth uses of them is read where it is used.
 */
export const toolSearchOutputItemSchema = z.strictObject({
  type: z.literal('tool_search_output'),
  id: z.string().nullable().optional(),
  call_id: z.string().nullable().optional(),
  tools: z.array(z.looseObject({ type: z.string() })),
  execution: z.enum(['server', 'client']).optional(),
  status,
  created_by: z.string().optional(),
});
