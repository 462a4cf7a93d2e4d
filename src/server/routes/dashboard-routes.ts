import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { BerthError } from '../../errors/berth-error.js';
import { parseRequest } from '../../validation/parse-request.js';

const assetParams = z.strictObject({ file: z.string().regex(/^[\w-][\w.-]*$/) });

/**
 * Where the built dashboard is: `dist/ui` in the package. This module sits three directories below
 * the package root both as source (`src/server/routes`) and compiled (`dist/server/routes`), so one
 * relative path finds it either way; running from source needs `npm run build` to have made it.
 */
export const dashboardDirectory = fileURLToPath(new URL('../../../dist/ui/', import.meta.url));

/**
 * The dashboard's pages and assets at `/ui/`: static files any browser may load, with no API key and
 * nothing about any project in them. The page asks for a key and reads everything else from `/v1` and
 * `/ui/api` with it, as any client would, so the dashboard can show no more than that key may see.
 */
export async function registerDashboardRoutes(
  app: FastifyInstance,
  directory = dashboardDirectory,
): Promise<void> {
  await app.register(fastifyStatic, { root: directory, serve: false });
  const built = () => existsSync(`${directory}/index.html`);
  const notBuilt = () =>
    new BerthError('not_found', "The dashboard is not built here: run `npm run build` in Berth's directory.");

  app.get('/ui', { config: { public: true } }, function dashboardPage(request, reply) {
    // The server ignores trailing slashes, so this route answers `/ui/` too; `/ui` itself is sent
    // on to `/ui/`, where the page's relative asset paths resolve under `/ui/assets/`.
    if (!request.url.split('?', 1)[0]?.endsWith('/')) return reply.redirect('/ui/');
    if (!built()) throw notBuilt();
    return withPageHeaders(reply).sendFile('index.html');
  });
  app.get('/ui/assets/:file', { config: { public: true } }, function dashboardAsset(request, reply) {
    if (!built()) throw notBuilt();
    // One file name, no dot first: nothing outside `assets/` can be named (and `send`, under
    // sendFile, refuses a path that climbs out of the directory besides).
    const { file } = parseRequest(assetParams, request.params);
    return withPageHeaders(reply).sendFile(`assets/${file}`);
  });
}

/**
 * Threat: a model's output or a file name shown on the page carrying script (stored XSS run with the
 * operator's key). Preact escapes all text it renders; the policy below is the second wall: only
 * Berth's own scripts and styles run, nothing inline, nothing from elsewhere, and the page cannot be
 * framed (clickjacking).
 */
function withPageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}
