import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  type ConnectionError,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import websocket from '@fastify/websocket';
import { BerthError } from '../errors/berth-error.js';
import { toErrorEnvelope } from '../errors/error-envelope.js';
import { checkJsonShape } from '../validation/json-shape-limits.js';
import type { AppContext } from './app-context.js';
import { createAuthenticator } from './auth.js';
import { registerCompactRoute } from './routes/compact-route.js';
import { registerContainersRoutes } from './routes/containers-routes.js';
import { registerDashboardApiRoutes } from './routes/dashboard-api-routes.js';
import { registerDashboardRoutes } from './routes/dashboard-routes.js';
import { registerConversationsRoutes } from './routes/conversations-routes.js';
import { registerFilesRoutes } from './routes/files-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerMetricsRoute } from './routes/metrics-route.js';
import { registerOpenApiRoute } from './routes/openapi-route.js';
import { OpenApiRegistry } from './openapi-document.js';
import { registerModelsRoutes } from './routes/models-routes.js';
import { registerResponsesRoutes } from './routes/responses-routes.js';
import { registerResponseToolCallsRoute } from './routes/response-tool-calls-route.js';
import { registerResponsesWebSocket } from './routes/responses-websocket.js';
import { registerSkillsRoutes } from './routes/skills-routes.js';

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
    // A caller's own request id (a gateway's, a trace's) is kept so its logs and Berth's line up;
    // anything that is not a plain token is replaced, so it cannot forge log lines or headers.
    genReqId: (raw) => callersRequestId(raw.headers['x-request-id']) ?? context.ids.next('req'),
    // A prototype-poisoning body (`__proto__`, `constructor.prototype`) is rejected, not stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Keep-alive sockets would hold `close()` open for their idle timeout; shutdown closes them.
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
    // The router refuses some URLs before any route or hook runs (bad percent-encoding, a path
    // segment over `maxParamLength`); without this Fastify answers them in its own error shape.
    frameworkErrors: function reportRouterError(error, request, reply) {
      const berthError = fromRouterError(error);
      if (!berthError)
        context.logger.error('request failed', { requestId: request.id, error: String(error.stack) });
      const { status, body } = toErrorEnvelope(berthError ?? error);
      // The option is generic over route schemas; a router refusal has no route, so no schema.
      void (reply as FastifyReply).status(status).header('x-request-id', request.id).send(body);
    },
    // Node refuses some requests before Fastify sees them (a request line and headers over 16 KB, an
    // unparsable request, a timeout); they are answered on the raw socket, so in the envelope here.
    clientErrorHandler: answerClientError,
  });
  // Every route, as it is registered (those of encapsulated plugins too), for `/openapi.json`.
  const openapi = new OpenApiRegistry();
  app.addHook('onRoute', (route) => openapi.add(route));
  const authenticator = createAuthenticator(context.keys, options.keylessAllowed, () => context.clock.now());
  app.decorateRequest('projectId', '');
  // Registered before the auth hook, so its own hooks run first: it marks an upgrade request as one,
  // and destroys the socket of an upgrade that was answered instead (a 401). Registered after, a
  // refused upgrade's socket stayed open, in CLOSE-WAIT, and held shutdown open with it.
  await app.register(websocket, { options: { maxPayload: options.bodyLimitBytes } });

  // An empty JSON body means "no fields" (the SDK sends none for some calls), not a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, (error, value) => {
      if (error) {
        done(error, undefined);
        return;
      }
      try {
        checkJsonShape(value, context.jsonShapeLimits);
      } catch (refusal) {
        done(refusal as Error, undefined);
        return;
      }
      done(null, value);
    });
  });

  app.addHook('onRequest', async function authenticate(request, reply) {
    void reply.header('x-request-id', request.id);
    if (request.routeOptions.config.public === true) return;
    request.projectId = await authenticator.authenticate(request.headers.authorization);
  });

  // The access log: one line per request, after its answer went out. Only what operators need to
  // trace a request: never its body, its headers (the key among them) or its query string.
  app.addHook('onResponse', function logAccess(request, reply, done) {
    const route = request.routeOptions.url;
    // Routes as declared (`/v1/responses/:id`), never raw paths: a label per id would grow without end.
    context.metrics.httpRequest(
      request.method,
      route ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    context.logger.access({
      requestId: request.id,
      method: request.method,
      route: route ?? null,
      path: request.url.split('?', 1)[0] ?? request.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      ...(request.projectId ? { project: request.projectId } : {}),
    });
    done();
  });

  app.setErrorHandler(function reportError(error: FastifyError, request, reply) {
    const berthError = error instanceof BerthError ? error : fromFrameworkError(error);
    if (!berthError)
      context.logger.error('request failed', { requestId: request.id, error: String(error.stack) });
    const { status, body } = toErrorEnvelope(berthError ?? error);
    if (status === 413) drainRefusedBody(request.raw, reply);
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

  registerHealthRoutes(app, context);
  registerOpenApiRoute(app, openapi);
  // With a listener of its own (`metrics.listen`), `/metrics` is served there and not here.
  if (context.metricsConfig.listen === null) registerMetricsRoute(app, context);
  registerResponsesRoutes(app, context);
  registerResponseToolCallsRoute(app, context);
  registerCompactRoute(app, context);
  registerResponsesWebSocket(app, context);
  registerConversationsRoutes(app, context);
  registerModelsRoutes(app, context);
  await registerFilesRoutes(app, context);
  await registerContainersRoutes(app, context);
  await registerSkillsRoutes(app, context);
  await registerDashboardRoutes(app);
  registerDashboardApiRoutes(app, context);
  return app;
}

/** A caller's `x-request-id`, if it is a plain token of at most 128 characters. */
function callersRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && /^[A-Za-z0-9._:/+=@-]{1,128}$/.test(header) ? header : undefined;
}

/** How long a refused body may keep arriving, discarded, before its connection is cut. */
const refusedBodyDrainMs = 10_000;

/**
 * Lets a client that is still sending a refused (too large) body finish, so it reads the 413.
 *
 * Fastify answers an oversized body with `Connection: close`, so Node closes the socket as soon as the
 * answer is written, with the body still arriving: the kernel resets the connection, and a client
 * that writes its whole body before reading (Python's urllib and requests, many SDKs) sees a broken
 * pipe instead of the 413. Here the connection is kept (even when the client asked to close it:
 * urllib does) and Node discards the rest of the body (nothing is buffered, so memory stays flat) —
 * for at most `refusedBodyDrainMs`, so a client that never stops sending still loses its connection
 * (the lingering close nginx does). The client closes it once it has read the answer.
 */
function drainRefusedBody(raw: IncomingMessage, reply: FastifyReply): void {
  if (raw.complete) return;
  reply.removeHeader('connection');
  reply.raw.shouldKeepAlive = true;
  const cut = setTimeout(() => raw.socket.destroy(), refusedBodyDrainMs).unref();
  raw.once('end', () => clearTimeout(cut));
  raw.socket.once('close', () => clearTimeout(cut));
}

/**
 * Fastify's router refusals in Berth's error registry. An over-long id is a 414 rather than a longer
 * `maxParamLength`: the limit is the router's guard against pathological paths, every id Berth mints
 * is far below it, and raising it would only move the same refusal further out.
 */
function fromRouterError(error: FastifyError): BerthError | undefined {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return new BerthError('invalid_request', 'The request URL is not validly percent-encoded.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new BerthError(
        'uri_too_long',
        'A path segment of the request URL (an id) is longer than the server accepts.',
      );
    default:
      return undefined;
  }
}

/**
 * Answers a request Node's HTTP parser refused, on the raw socket (there is no request or reply), in
 * OpenAI's error envelope, then closes the connection since the stream can no longer be trusted.
 */
function answerClientError(error: ConnectionError, socket: Socket): void {
  // A reset or already-closed connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } = toErrorEnvelope(fromClientError(error));
  if (socket.writable) {
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        'Connection: close\r\n\r\n' +
        text,
    );
  }
  socket.destroy(error);
}

function fromClientError(error: ConnectionError): BerthError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new BerthError(
        'request_headers_too_large',
        'The request URL and headers are larger than the server accepts.',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new BerthError('request_timeout', 'The request was not received in time.');
    default:
      return new BerthError('invalid_request', 'The server could not parse the HTTP request.');
  }
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
