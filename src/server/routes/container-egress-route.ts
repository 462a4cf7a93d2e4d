import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toContainerEgressObject } from '../../containers/container-egress-object.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { parsePageRequest, toObjectListBody, pageQuerySchema } from '../pagination.js';
import { containerParams } from './container-params.js';

const egressQuerySchema = z.looseObject({ call_id: z.string().min(1).max(256).optional() });

/**
 * `GET /v1/containers/{id}/egress` — Berth's extension: the container's egress log, every connection
 * its sandbox asked for (allowed or refused, and why), oldest first by default; `call_id` narrows it
 * to one hosted shell call's (the tool-call log links here).
 */
export function registerContainerEgressRoute(app: FastifyInstance, context: AppContext): void {
  app.get(
    '/v1/containers/:id/egress',
    { config: { openapi: { query: egressQuerySchema.and(pageQuerySchema) } } },
    async function listContainerEgress(request) {
      const { id } = parseRequest(containerParams, request.params);
      const { call_id: callId } = parseRequest(egressQuerySchema, request.query ?? {});
      const page = await context.containers.listEgress(request.projectId, id, {
        ...parsePageRequest(request.query, 'asc'),
        callId,
      });
      return toObjectListBody(page.data.map(toContainerEgressObject), page.hasMore);
    },
  );
}
