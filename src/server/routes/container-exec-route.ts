import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LiveOutput } from '../../containers/live-output.js';
import { defaultSessionName } from '../../containers/container-service.js';
import { BerthError } from '../../errors/berth-error.js';
import { EventStream } from '../../event-stream.js';
import { toErrorEnvelope } from '../../errors/error-envelope.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { writeEventStream } from '../sse.js';
import { containerParams } from './container-params.js';

/** Defaults and ceilings of one exec request; the ceilings protect the server, not the container. */
export const execLimits = {
  defaultTimeoutMs: 120_000,
  maxTimeoutMs: 30 * 60_000,
  defaultMaxOutputBytes: 256 * 1024,
  maxOutputBytes: 8 * 1024 * 1024,
  maxCommands: 64,
  maxCommandBytes: 1024 * 1024,
  /**
   * Most output one request may keep: commands × 2 streams × max_output_length. The answer is built
   * in memory (and JSON can write a byte as six characters), so this bounds what one request costs
   * the server; the defaults (64 commands of 256 KiB) fit exactly.
   */
  maxOutputBudgetBytes: 32 * 1024 * 1024,
};

const execSchema = z.strictObject({
  commands: z
    .array(
      z
        .string()
        .min(1)
        .max(execLimits.maxCommandBytes)
        .refine((command) => !command.includes('\0'), 'must not contain NUL bytes'),
    )
    .min(1)
    .max(execLimits.maxCommands),
  session: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "-" or "."')
    .optional(),
  timeout_ms: z.int().min(1).max(execLimits.maxTimeoutMs).optional(),
  max_output_length: z.int().min(1).max(execLimits.maxOutputBytes).optional(),
  stream: z.boolean().optional(),
});

/**
 * `POST /v1/containers/{id}/exec` — Berth's own extension, not part of OpenAI's API: runs commands in
 * order in one of the container's shell sessions (state kept between them and between requests) and
 * answers `{output: [...]}` with one `shell_call_output` entry per command. With `"stream": true` it
 * answers SSE instead: `exec.command.started`, `exec.output.delta` (stdout/stderr as produced),
 * `exec.command.done` per command, then `exec.completed` (or `error`).
 */
export function registerContainerExecRoute(app: FastifyInstance, context: AppContext): void {
  app.post(
    '/v1/containers/:id/exec',
    { config: { openapi: { body: execSchema, produces: ['application/json', 'text/event-stream'] } } },
    async function execInContainer(request, reply) {
      const { id } = parseRequest(containerParams, request.params);
      const body = parseRequest(execSchema, request.body ?? {});
      const exec = {
        commands: body.commands,
        session: body.session ?? defaultSessionName,
        timeoutMs: body.timeout_ms ?? execLimits.defaultTimeoutMs,
        maxOutputBytes: body.max_output_length ?? execLimits.defaultMaxOutputBytes,
      };
      const budget = exec.commands.length * 2 * exec.maxOutputBytes;
      if (budget > execLimits.maxOutputBudgetBytes) {
        throw new BerthError(
          'invalid_value',
          `${exec.commands.length} commands with max_output_length ${exec.maxOutputBytes} could keep ${budget} bytes of output; one request may keep at most ${execLimits.maxOutputBudgetBytes} (commands × 2 × max_output_length). Send fewer commands or a smaller max_output_length.`,
          { param: 'max_output_length' },
        );
      }
      if (!body.stream) {
        const output = await context.containers.exec(request.projectId, id, exec);
        return { object: 'container.exec', container_id: id, session: exec.session, output };
      }

      // Refused before the event stream starts, so an unknown, another project's or expired container
      // answers its 404 in the error envelope, as the non-streaming call does, not a 200 with an error event.
      await context.containers.getRunning(request.projectId, id);
      // Read once, as it is written: output the client has already received is not kept.
      const events = new EventStream({ replayable: false });
      const live = new LiveOutput(exec.maxOutputBytes);
      const run = context.containers
        .exec(request.projectId, id, {
          ...exec,
          onCommandStart: (index) => {
            live.startCommand();
            events.push({ type: 'exec.command.started', index, command: exec.commands[index] });
          },
          onOutput: (index, stream, chunk) => {
            const delta = live.take(stream, chunk);
            if (delta) events.push({ type: 'exec.output.delta', index, stream, delta });
          },
        })
        .then((output) => {
          for (const [index, result] of output.entries()) {
            events.push({ type: 'exec.command.done', index, output: result });
          }
          events.push({ type: 'exec.completed', container_id: id, session: exec.session, output });
        })
        .catch((error: unknown) => events.push({ type: 'error', ...toErrorEnvelope(error).body }))
        .finally(() => events.end());
      reply.hijack();
      await writeEventStream(reply.raw, events, {});
      await run;
      return reply;
    },
  );
}
