import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { responseCompactParamsSchema } from '../../engine/compaction/response-compact-params.js';

/** `POST /v1/responses/compact`: a conversation in, its user messages and one compaction item out. */
export function registerCompactRoute(app: FastifyInstance, context: AppContext): void {
  app.post(
    '/v1/responses/compact',
    { config: { openapi: { body: responseCompactParamsSchema } } },
    async function compactResponse(request, reply) {
      // Nobody will read the summary of a client that went away: cancel the upstream call.
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      return context.responses.compact(request.projectId, request.body, controller.signal);
    },
  );
}
