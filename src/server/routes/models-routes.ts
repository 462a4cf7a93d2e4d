import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';

/** `GET /v1/models`: every configured provider's models, named as clients must name them. */
export function registerModelsRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/models', async function listModels() {
    return { object: 'list', data: await context.models.list() };
  });

  app.get('/v1/models/*', async function retrieveModel(request) {
    const { '*': model } = parseRequest(z.strictObject({ '*': z.string().min(1) }), request.params);
    return context.models.get(model);
  });
}
