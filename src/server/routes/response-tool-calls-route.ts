import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { pageQuerySchema, parsePageRequest, toObjectListBody } from '../pagination.js';

const idParams = z.strictObject({ id: z.string().min(1) });

/**
 * `GET /v1/responses/{id}/tool_calls` — Berth's own extension, not part of OpenAI's API: the
 * response's tool-call log, one entry per command its hosted shell calls ran, oldest first by
 * default. `GET /v1/responses/{id}` stays exactly OpenAI's shape; this is where the operational
 * detail (container, session, timing, byte counts) lives.
 */
export function registerResponseToolCallsRoute(app: FastifyInstance, context: AppContext): void {
  app.get(
    '/v1/responses/:id/tool_calls',
    { config: { openapi: { query: pageQuerySchema } } },
    async function listResponseToolCalls(request) {
      const { id } = parseRequest(idParams, request.params);
      const page = parsePageRequest(request.query, 'asc');
      const result = await context.responses.listToolCalls(request.projectId, id, page);
      return toObjectListBody(result.data, result.hasMore);
    },
  );
}
