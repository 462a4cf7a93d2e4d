import { z } from 'zod';

/**
 * The smallest `compact_threshold` accepted. A compacted context still holds the summary and every
 * user message; a threshold below what those need would compact again on every turn.
 */
export const minCompactThreshold = 1_000;
/** The largest accepted: beyond any model's context window, so larger values can only be mistakes. */
export const maxCompactThreshold = 10_000_000;
/**
 * The threshold when an entry gives none. Berth cannot know each upstream model's window, so this is
 * a figure below the windows of the hosted models it is mostly used with (about 128K and up); clients
 * of smaller models set their own.
 */
export const defaultCompactThreshold = 100_000;

/**
 * `context_management` on a create request: OpenAI's `[{type:"compaction", compact_threshold?}]`.
 * Compaction is the only entry type, so at most one entry is allowed.
 */
export const contextManagementSchema = z
  .array(
    z.strictObject({
      type: z.literal('compaction'),
      compact_threshold: z.int().min(minCompactThreshold).max(maxCompactThreshold).nullable().optional(),
    }),
  )
  .max(1, 'compaction is the only context_management type, so give at most one entry')
  .nullable();

export type ContextManagement = z.infer<typeof contextManagementSchema>;

/** The token count past which a response compacts its context, or null when it never does. */
export function compactThresholdOf(contextManagement: ContextManagement | undefined): number | null {
  const entry = contextManagement?.[0];
  if (!entry) return null;
  return entry.compact_threshold ?? defaultCompactThreshold;
}
