import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BerthError } from '../../errors/berth-error.js';
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

  app.get('/v1/models/*', async function retrieveModel(request) {
    const { '*': model } = parseRequest(z.strictObject({ '*': z.string().min(1) }), request.params);
    const resolved = context.providers.resolve(model);
    // Known only if the upstream lists it; an upstream that cannot list its models is taken at its word.
    const listed = await resolved.provider
      .listModels(AbortSignal.timeout(listTimeoutMs))
      .catch((): readonly string[] => []);
    if (listed.length > 0 && !listed.includes(resolved.model)) {
      throw new BerthError('model_not_found', `The model '${model}' does not exist.`, { param: 'model' });
    }
    return toModelBody(`${resolved.provider.name}/${resolved.model}`, resolved.provider.name);
  });
}

function toModelBody(id: string, ownedBy: string): Record<string, unknown> {
  return { id, object: 'model', created: 0, owned_by: ownedBy };
}
