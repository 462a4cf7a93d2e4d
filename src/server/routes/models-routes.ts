import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';

/** How long `GET /v1/models` waits for an upstream's model list before leaving that provider out. */
const listTimeoutMs = 5_000;

/** `GET /v1/models`: every configured provider's models, named as clients must name them. */
export function registerModelsRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/models', async function listModels() {
    const lists = await Promise.all(
      context.providers.providers.map(async (provider) => {
        try {
          const models = await provider.listModels(AbortSignal.timeout(listTimeoutMs));
          return models.map((model) => toModelBody(`${provider.name}/${model}`, provider.name));
        } catch (error) {
          // One unreachable upstream must not hide the others' models.
          context.logger.warn('listing models failed', { provider: provider.name, error: String(error) });
          return [];
        }
      }),
    );
    return { object: 'list', data: lists.flat() };
  });

  app.get('/v1/models/*', function retrieveModel(request, reply) {
    const { '*': model } = parseRequest(z.strictObject({ '*': z.string().min(1) }), request.params);
    const resolved = context.providers.resolve(model);
    void reply.send(toModelBody(`${resolved.provider.name}/${resolved.model}`, resolved.provider.name));
  });
}

function toModelBody(id: string, ownedBy: string): Record<string, unknown> {
  return { id, object: 'model', created: 0, owned_by: ownedBy };
}
