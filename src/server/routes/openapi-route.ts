import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../../package-version.js';
import type { OpenApiRegistry } from '../openapi-document.js';

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of every route, generated from the routes as they
 * were registered. Needs no key: it describes the API, not anyone's data.
 */
export function registerOpenApiRoute(app: FastifyInstance, registry: OpenApiRegistry): void {
  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', { config: { public: true } }, function openApiDocument(_request, reply) {
    // Routes are all registered once the server listens; the document is built on first request.
    document ??= registry.document(packageVersion());
    void reply.send(document);
  });
}
