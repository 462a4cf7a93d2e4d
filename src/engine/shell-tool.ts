import { z } from 'zod';
import { memoryLimitSchema, networkPolicySchema } from '../containers/container-options.js';
import { containerSkillsSchema } from '../skills/container-skills-schema.js';

/**
 * OpenAI's `shell` tool definition (SDK `FunctionShellTool`). Without an environment, or with
 * `{type:"local"}`, the client runs the commands; with `container_auto` or `container_reference`
 * Berth runs them in one of its containers.
 */
const localSkill = z.strictObject({
  name: z.string().min(1),
  description: z.string(),
  path: z.string().min(1),
});

export const shellEnvironmentSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('local'), skills: z.array(localSkill).optional() }),
  z.strictObject({ type: z.literal('container_reference'), container_id: z.string().min(1) }),
  z.strictObject({
    type: z.literal('container_auto'),
    file_ids: z.array(z.string().min(1)).max(100).optional(),
    memory_limit: memoryLimitSchema.nullable().optional(),
    network_policy: networkPolicySchema.optional(),
    skills: containerSkillsSchema.optional(),
  }),
]);

export const shellToolSchema = z.strictObject({
  type: z.literal('shell'),
  environment: shellEnvironmentSchema.nullable().optional(),
  // OpenAI's programmatic tool calling; accepted and ignored.
  allowed_callers: z.array(z.string()).nullable().optional(),
});

export type ShellToolParams = z.infer<typeof shellToolSchema>;
export type ShellEnvironmentParams = z.infer<typeof shellEnvironmentSchema>;

/**
 * Where a response's shell calls run, once its environment is settled: on the client (the response
 * ends with the call), or in a Berth container.
 */
export type ShellSetup =
  | {
      readonly mode: 'client';
      /** What each `shell_call` names as its environment: `{type:"local"}`, or null when none was given. */
      readonly environment: { readonly type: 'local' } | null;
      /** The tool as the response echoes it. */
      readonly echo: Record<string, unknown>;
    }
  | {
      readonly mode: 'hosted';
      readonly containerId: string;
      readonly environment: { readonly type: 'container_reference'; readonly container_id: string };
      readonly echo: Record<string, unknown>;
      /** What the model is told about the container's skills, or null when it has none. */
      readonly instructions: string | null;
    };

/** Names a client function may not take beside the shell tool: the shell's own name in each provider's form. */
export const shellToolNames = ['shell', 'bash'] as const;
