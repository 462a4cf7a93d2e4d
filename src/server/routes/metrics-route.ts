import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { BerthError } from '../../errors/berth-error.js';
import type { AppContext } from '../app-context.js';

/**
 * `GET /metrics`: Prometheus's text format, for a scraper. Outside `/v1` and not behind API keys —
 * scrapers hold no project key, and nothing in it belongs to a project — but behind `metrics.token`
 * when one is configured. Not served at all with `metrics.enabled: false`.
 */
export function registerMetricsRoute(app: FastifyInstance, context: AppContext): void {
  const { enabled, token } = context.metricsConfig;
  if (!enabled) return;
  // Compared as digests, in constant time: how much of a guess matched must not show in the timing.
  const expected = token === null ? null : digest(`Bearer ${token}`);
  app.get('/metrics', { config: { public: true } }, async function scrape(request, reply) {
    if (expected !== null) {
      const sent = request.headers.authorization;
      if (sent === undefined) {
        throw new BerthError(
          'missing_api_key',
          'Metrics need the metrics token: Authorization: Bearer <token>.',
          {
            wireCode: 'missing_api_key',
          },
        );
      }
      if (!timingSafeEqual(digest(sent), expected)) {
        throw new BerthError('invalid_api_key', 'Incorrect metrics token provided.', {
          wireCode: 'invalid_api_key',
        });
      }
    }
    const { contentType, text } = await context.metrics.render();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(text);
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
