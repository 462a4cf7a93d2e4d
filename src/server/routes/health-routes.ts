import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (it can do its work: 200, or 503 naming the
 * check that failed) for orchestrators and load balancers. Both are outside `/v1` and need no key —
 * probes carry none — so neither says anything about any project.
 */
export function registerHealthRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/healthz', { config: { public: true } }, function live(_request, reply) {
    void reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });

  app.get('/readyz', { config: { public: true } }, async function ready(_request, reply) {
    const report = await context.health.ready();
    void reply
      .status(report.status === 'ready' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(report);
  });
}
