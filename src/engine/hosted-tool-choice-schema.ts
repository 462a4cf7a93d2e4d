import { z } from 'zod';

/** The `tool_choice` forms that force a hosted tool (OpenAI's `ToolChoiceTypes` and `ToolChoiceMcp`). */
export const hostedToolChoiceSchemas = [
  z.strictObject({
    type: z.enum([
      'file_search',
      'web_search_preview',
      'web_search_preview_2025_03_11',
      'computer',
      'computer_use',
      'computer_use_preview',
      'image_generation',
      'code_interpreter',
    ]),
  }),
  z.strictObject({
    type: z.literal('mcp'),
    server_label: z.string().min(1),
    name: z.string().nullable().optional(),
  }),
] as const;
