import { z } from 'zod';

/** Most skills one container can have attached. */
export const maxSkillsPerContainer = 20;

/**
 * The `skills` array of `POST /v1/containers`, and of a shell tool's `environment.container_auto`
 * (the engine reuses this schema there), exactly as the `openai` SDK types it: a `skill_reference`
 * to an uploaded skill (`version` a number, `"latest"`, or absent for the default) or an `inline`
 * skill carried as a base64 zip. What the references point at and what the zips hold is checked by
 * `ContainerService.create` (through `SkillService.resolveForContainer`), not here.
 */
export const containerSkillsSchema = z
  .array(
    z.discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('skill_reference'),
        skill_id: z.string().min(1).max(256),
        version: z
          .string()
          .regex(/^(?:latest|[1-9][0-9]{0,8})$/, 'must be a version number such as "2", or "latest"')
          .optional(),
      }),
      z.strictObject({
        type: z.literal('inline'),
        name: z.string().min(1),
        description: z.string().min(1),
        source: z.strictObject({
          type: z.literal('base64'),
          media_type: z.literal('application/zip'),
          data: z.base64(),
        }),
      }),
    ]),
  )
  .max(maxSkillsPerContainer);

/** One parsed entry of `containerSkillsSchema`. */
export type ContainerSkill = z.infer<typeof containerSkillsSchema>[number];
