import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { BerthError } from '../errors/berth-error.js';
import { toErrorEnvelope } from '../errors/error-envelope.js';
import type { AppContext } from './app-context.js';
import { registerMetricsRoute } from './routes/metrics-route.js';

/**
 * The listener of `metrics.listen`: `GET /metrics` alone (behind `metrics.token` when one is set), on
 * an address operators can keep to their scrapers' network while the API listens elsewhere. Nothing
 * else is routed: every other path is a 404 in OpenAI's error envelope, as on the API's port.
 */
export function createMetricsServer(context: AppContext): FastifyInstance {
  const app = Fastify({ return503OnClosing: true });
  registerMetricsRoute(app, context);
  app.setErrorHandler(function reportError(error: FastifyError, _request, reply) {
    const { status, body } = toErrorEnvelope(error);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler(function unknownRoute(request, reply) {
    const { status, body } = toErrorEnvelope(
      new BerthError(
        'not_found',
        `Unknown request URL: ${request.method} ${request.url.split('?')[0] ?? ''}. This listener serves GET /metrics only.`,
      ),
    );
    void reply.status(status).send(body);
  });
  return app;
}
