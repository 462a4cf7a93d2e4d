import type { RouteOptions } from 'fastify';
import { z } from 'zod';

/** What a route says about itself for the OpenAPI document: the very schemas it validates with. */
export interface RouteDocs {
  /** The JSON body's schema. */
  readonly body?: z.ZodType;
  /** The query string's schema (an object). */
  readonly query?: z.ZodType;
  /** The body is `multipart/form-data` (an upload), with these fields besides `file`. */
  readonly multipart?: z.ZodType;
  /** What the route answers with other than JSON (`text/event-stream`, a file's bytes). */
  readonly produces?: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's schemas for `/openapi.json`. */
    openapi?: RouteDocs;
  }
}

interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly operationId: string;
  readonly docs: RouteDocs;
  readonly public: boolean;
  readonly websocket: boolean;
}

type JsonSchema = Record<string, unknown>;

/**
 * Collects every route as Fastify registers it (an `onRoute` hook, so no route can be left out) and
 * renders OpenAPI 3.1: paths from the routes' URLs, operation ids from their handlers' names, request
 * schemas converted from the zod schemas the routes parse with (`z.toJSONSchema`, JSON Schema 2020-12,
 * which is OpenAPI 3.1's dialect). Nothing in it is written by hand but the route's own code.
 */
export class OpenApiRegistry {
  readonly #routes: DocumentedRoute[] = [];

  /** The `onRoute` hook. */
  add(route: RouteOptions): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // HEAD routes are the GET routes Fastify adds itself.
      if (method === 'HEAD') continue;
      this.#routes.push({
        method: method.toLowerCase(),
        url: route.url,
        operationId: route.handler.name || `${method.toLowerCase()}${route.url}`,
        docs: route.config?.openapi ?? {},
        public: route.config?.public === true,
        websocket: (route as { websocket?: boolean }).websocket === true,
      });
    }
  }

  /** The routes collected, as method and URL (for tests that compare them with the router). */
  get routes(): readonly { readonly method: string; readonly url: string }[] {
    return this.#routes;
  }

  document(version: string): JsonSchema {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.#routes) {
      const { path, parameters } = openApiPath(route.url);
      const operation: Record<string, unknown> = {
        operationId: route.operationId,
        parameters: [...parameters, ...queryParameters(route.docs.query)],
        responses: responsesOf(route),
      };
      if (route.public) operation.security = [];
      if (route.websocket) {
        operation.description =
          'WebSocket mode: upgrade this request, then send `response.create` messages (see OpenAI’s WebSocket mode).';
      }
      const body = requestBodyOf(route.docs);
      if (body) operation.requestBody = body;
      (paths[path] ??= {})[route.method] = operation;
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Berth',
        version,
        description:
          "OpenAI's Responses API and its companions (Conversations, Files, Containers, Skills, Models), self-hosted.",
      },
      paths,
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A Berth API key.' } },
        schemas: { Error: errorEnvelopeSchema },
      },
      security: [{ apiKey: [] }],
    };
  }
}

/** OpenAI's error envelope, which every refusal answers with. */
const errorEnvelopeSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        code: { type: ['string', 'null'] },
      },
    },
  },
};

/** `/v1/containers/:id/files/:file_id` → `/v1/containers/{id}/files/{file_id}`, and its path parameters. */
function openApiPath(url: string): { path: string; parameters: JsonSchema[] } {
  const parameters: JsonSchema[] = [];
  const path = url
    .split('/')
    .map((segment) => {
      const name = segment === '*' ? 'path' : segment.startsWith(':') ? segment.slice(1) : undefined;
      if (name === undefined) return segment;
      parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
      return `{${name}}`;
    })
    .join('/');
  return { path, parameters };
}

/** A JSON Schema of what a client may send (input side: before defaults and transforms). */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const converted = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

function queryParameters(query: z.ZodType | undefined): JsonSchema[] {
  if (!query) return [];
  const schema = jsonSchemaOf(query);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

function requestBodyOf(docs: RouteDocs): JsonSchema | undefined {
  const content: Record<string, unknown> = {};
  if (docs.body) content['application/json'] = { schema: jsonSchemaOf(docs.body) };
  if (docs.multipart) {
    const fields = jsonSchemaOf(docs.multipart);
    const properties = { ...((fields.properties ?? {}) as Record<string, unknown>) };
    properties.file = { type: 'string', contentMediaType: 'application/octet-stream' };
    const required = [...((fields.required ?? []) as string[]), 'file'];
    content['multipart/form-data'] = { schema: { type: 'object', properties, required } };
  }
  return Object.keys(content).length > 0 ? { required: true, content } : undefined;
}

function responsesOf(route: DocumentedRoute): JsonSchema {
  const produces = route.docs.produces ?? ['application/json'];
  return {
    [route.websocket ? '101' : '200']: {
      description: route.websocket ? 'Switched to WebSocket.' : 'Success.',
      ...(route.websocket ? {} : { content: Object.fromEntries(produces.map((type) => [type, {}])) }),
    },
    default: {
      description: "An error, in OpenAI's error envelope.",
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    },
  };
}
