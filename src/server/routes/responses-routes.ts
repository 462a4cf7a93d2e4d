import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ResponseRun } from '../../engine/response-run.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { pageQuerySchema, parsePageRequest, toListBody } from '../pagination.js';
import { writeEventStream } from '../sse.js';
import { responseCreateParamsSchema } from '../../engine/response-create-params.js';
import { inputTokensParamsSchema } from '../../engine/input-tokens-params.js';

const idParams = z.strictObject({ id: z.string().min(1) });

const retrieveQuery = z.looseObject({
  stream: z.enum(['true', 'false']).optional(),
  starting_after: z.coerce.number().int().min(-1).optional(),
});

/** `/v1/responses` and its sub-resources. */
export function registerResponsesRoutes(app: FastifyInstance, context: AppContext): void {
  app.post(
    '/v1/responses',
    {
      config: {
        openapi: { body: responseCreateParamsSchema, produces: ['application/json', 'text/event-stream'] },
      },
    },
    async function createResponse(request, reply) {
      const run = await context.responses.create(request.projectId, request.body);
      const ignoredTools = ignoredToolsHeader(run);
      if (ignoredTools) reply.header(ignoredToolsHeaderName, ignoredTools);
      if (run.prepared.stream) return streamRun(run, request, reply);
      if (run.prepared.background) return run.accepted;
      // Nobody will read the answer of a client that went away: cancel the upstream call.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) run.stop('disconnect');
      });
      await run.finished;
      if (run.failure) throw run.failure;
      return run.body;
    },
  );

  app.post(
    '/v1/responses/input_tokens',
    { config: { openapi: { body: inputTokensParamsSchema } } },
    async function countInputTokens(request, reply) {
      // Nobody will read the count of a client that went away: cancel the upstream call. (The
      // request's own 'close' fires as soon as its body is read, so the reply's is the one to watch.)
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      const inputTokens = await context.responses.countInputTokens(
        request.projectId,
        request.body,
        controller.signal,
      );
      return { object: 'response.input_tokens', input_tokens: inputTokens };
    },
  );

  app.get(
    '/v1/responses/:id',
    { config: { openapi: { query: retrieveQuery, produces: ['application/json', 'text/event-stream'] } } },
    async function retrieveResponse(request, reply) {
      const { id } = parseRequest(idParams, request.params);
      const query = parseRequest(retrieveQuery, request.query);
      if (query.stream !== 'true') return context.responses.get(request.projectId, id);
      const events = await context.responses.replay(request.projectId, id, query.starting_after ?? -1);
      reply.hijack();
      await writeEventStream(reply.raw, events, { 'x-request-id': request.id });
      return reply;
    },
  );

  app.delete('/v1/responses/:id', async function deleteResponse(request) {
    const { id } = parseRequest(idParams, request.params);
    await context.responses.delete(request.projectId, id);
    return { id, object: 'response', deleted: true };
  });

  app.post('/v1/responses/:id/cancel', async function cancelResponse(request) {
    const { id } = parseRequest(idParams, request.params);
    return context.responses.cancel(request.projectId, id);
  });

  app.get(
    '/v1/responses/:id/input_items',
    { config: { openapi: { query: pageQuerySchema } } },
    async function listInputItems(request) {
      const { id } = parseRequest(idParams, request.params);
      const page = await context.responses.listInputItems(
        request.projectId,
        id,
        parsePageRequest(request.query),
      );
      return toListBody(page);
    },
  );
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
  const ignoredTools = ignoredToolsHeader(run);
  await writeEventStream(reply.raw, run.eventsAfter(-1), {
    'x-request-id': request.id,
    ...(ignoredTools ? { [ignoredToolsHeaderName]: ignoredTools } : {}),
  });
  return reply;
}

/**
 * Names the hosted tools left out of the model's tools because its provider kind cannot run them
 * (config `hostedTools.unsupported: "ignore"`), so a client can tell its tool was never offered.
 */
const ignoredToolsHeaderName = 'berth-ignored-tools';

function ignoredToolsHeader(run: ResponseRun): string | null {
  const { ignoredTools } = run.prepared.hosted;
  return ignoredTools.length > 0 ? ignoredTools.join(',') : null;
}
