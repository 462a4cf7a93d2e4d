import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ResponseRun } from '../../engine/response-run.js';
import { prepareResponse, toModelRequest } from '../../engine/prepare-response.js';
import { responseCreateParamsSchema } from '../../engine/response-create-params.js';
import { BerthError } from '../../errors/berth-error.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { parsePageRequest, toListBody } from '../pagination.js';
import { writeEventStream } from '../sse.js';

const idParams = z.strictObject({ id: z.string().min(1) });

const retrieveQuery = z.looseObject({
  stream: z.enum(['true', 'false']).optional(),
  starting_after: z.coerce.number().int().min(-1).optional(),
});

/** `POST /v1/responses/input_tokens` takes the create request's shaping fields, each nullable. */
const inputTokensSchema = responseCreateParamsSchema
  .pick({
    instructions: true,
    previous_response_id: true,
    conversation: true,
    tool_choice: true,
    text: true,
    reasoning: true,
    parallel_tool_calls: true,
    truncation: true,
  })
  .extend({
    model: z.string().min(1).nullable().optional(),
    input: responseCreateParamsSchema.shape.input.nullable(),
    tools: responseCreateParamsSchema.shape.tools.nullable(),
    tool_choice: responseCreateParamsSchema.shape.tool_choice.nullable(),
    personality: z.unknown().optional(),
  });

/** `/v1/responses` and its sub-resources. */
export function registerResponsesRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/v1/responses', async function createResponse(request, reply) {
    const run = await context.responses.create(request.projectId, request.body);
    if (run.prepared.stream) return streamRun(run, request, reply);
    if (run.prepared.background) return run.accepted;
    // Nobody will read the answer of a client that went away: cancel the upstream call.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) run.stop('disconnect');
    });
    await run.finished;
    if (run.failure) throw run.failure;
    return run.body;
  });

  app.post('/v1/responses/input_tokens', async function countInputTokens(request) {
    const {
      model,
      input,
      tools,
      tool_choice: toolChoice,
      personality: _personality,
      ...rest
    } = parseRequest(inputTokensSchema, request.body);
    if (!model)
      throw new BerthError('missing_required_parameter', "Missing required parameter: 'model'.", {
        param: 'model',
      });
    const params = {
      ...rest,
      model,
      input: input ?? undefined,
      tools: tools ?? undefined,
      tool_choice: toolChoice ?? undefined,
    };
    const prepared = await prepareResponse(params, request.projectId, context);
    const modelRequest = toModelRequest(prepared);
    const controller = new AbortController();
    request.raw.on('close', () => controller.abort());
    const inputTokens = await prepared.resolved.provider.countInputTokens(modelRequest, controller.signal);
    return { object: 'response.input_tokens', input_tokens: inputTokens };
  });

  app.get('/v1/responses/:id', async function retrieveResponse(request, reply) {
    const { id } = parseRequest(idParams, request.params);
    const query = parseRequest(retrieveQuery, request.query);
    if (query.stream !== 'true') return context.responses.get(request.projectId, id);
    const events = await context.responses.replay(request.projectId, id, query.starting_after ?? -1);
    reply.hijack();
    await writeEventStream(reply.raw, events, { 'x-request-id': request.id });
    return reply;
  });

  app.delete('/v1/responses/:id', async function deleteResponse(request) {
    const { id } = parseRequest(idParams, request.params);
    await context.responses.delete(request.projectId, id);
    return { id, object: 'response', deleted: true };
  });

  app.post('/v1/responses/:id/cancel', async function cancelResponse(request) {
    const { id } = parseRequest(idParams, request.params);
    return context.responses.cancel(request.projectId, id);
  });

  app.get('/v1/responses/:id/input_items', async function listInputItems(request) {
    const { id } = parseRequest(idParams, request.params);
    const page = await context.responses.listInputItems(
      request.projectId,
      id,
      parsePageRequest(request.query),
    );
    return toListBody(page);
  });
}

/**
 * Streams a run to the client. If a client of a foreground response goes away, nobody will read the
 * answer, so the upstream call is cancelled; a background response carries on without its client.
 */
async function streamRun(
  run: ResponseRun,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  reply.hijack();
  if (!run.prepared.background) {
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) run.stop('disconnect');
    });
  }
  await writeEventStream(reply.raw, run.eventsAfter(-1), { 'x-request-id': request.id });
  return reply;
}
