import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { BerthError } from '../errors/berth-error.js';
import { toErrorEnvelope } from '../errors/error-envelope.js';
import type { AppContext } from './app-context.js';
import { createAuthenticator } from './auth.js';
import { registerContainersRoutes } from './routes/containers-routes.js';
import { registerConversationsRoutes } from './routes/conversations-routes.js';
import { registerFilesRoutes } from './routes/files-routes.js';
import { registerModelsRoutes } from './routes/models-routes.js';
import { registerResponsesRoutes } from './routes/responses-routes.js';
import { registerResponsesWebSocket } from './routes/responses-websocket.js';

export interface ServerOptions {
  /** Largest request body accepted, in bytes. */
  readonly bodyLimitBytes: number;
  /** Whether requests without a key are accepted while no key exists (only on loopback). */
  readonly keylessAllowed: boolean;
}

/**
 * The HTTP server: OpenAI's routes under `/v1`, auth, and OpenAI's error envelope for every failure,
 * including the framework's own (bad JSON, oversized body, unknown route).
 */
export async function createServer(context: AppContext, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    logger: false,
    genReqId: () => context.ids.next('req'),
    // A prototype-poisoning body (`__proto__`, `constructor.prototype`) is rejected, not stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Keep-alive sockets would hold `close()` open for their idle timeout; shutdown closes them.
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const authenticator = createAuthenticator(context.store, options.keylessAllowed, () => context.clock.now());
  app.decorateRequest('projectId', '');

  // An empty JSON body means "no fields" (the SDK sends none for some calls), not a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  app.addHook('onRequest', async function authenticate(request, reply) {
    void reply.header('x-request-id', request.id);
    request.projectId = await authenticator.authenticate(request.headers.authorization);
  });

  app.setErrorHandler(function reportError(error: FastifyError, request, reply) {
    const berthError = error instanceof BerthError ? error : fromFrameworkError(error);
    if (!berthError)
      context.logger.error('request failed', { requestId: request.id, error: String(error.stack) });
    const { status, body } = toErrorEnvelope(berthError ?? error);
    void reply.status(status).header('x-request-id', request.id).send(body);
  });

  app.setNotFoundHandler(function unknownRoute(request, reply) {
    const { status, body } = toErrorEnvelope(
      new BerthError(
        'not_found',
        `Unknown request URL: ${request.method} ${request.url.split('?')[0] ?? ''}.`,
      ),
    );
    void reply.status(status).send(body);
  });

  await app.register(websocket, { options: { maxPayload: options.bodyLimitBytes } });
  registerResponsesRoutes(app, context);
  registerResponsesWebSocket(app, context);
  registerConversationsRoutes(app, context);
  registerModelsRoutes(app, context);
  await registerFilesRoutes(app, context);
  await registerContainersRoutes(app, context);
  return app;
}

/** Fastify's own request errors (body parsing, limits) in Berth's error registry. */
function fromFrameworkError(error: FastifyError): BerthError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BerthError('request_too_large', 'The request body is larger than the server accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BerthError(
        'unsupported_media_type',
        'The request body must be JSON (Content-Type: application/json).',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BerthError('invalid_request', 'The Content-Length header does not match the body.');
    default:
      if (error.statusCode === 400) {
        return new BerthError(
          'invalid_json',
          `We could not parse the JSON body of your request: ${error.message}`,
        );
      }
      return undefined;
  }
}
