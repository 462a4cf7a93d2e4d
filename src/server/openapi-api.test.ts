import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../keys/issue-api-key.js';
import { routesOf } from '../../test/support/router-routes.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
let document: {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Record<string, unknown>>>;
};
beforeAll(async () => {
  berth = await startTestBerth();
  const answer = await fetch(`${new URL(berth.baseURL).origin}/openapi.json`);
  expect(answer.status).toBe(200);
  document = (await answer.json()) as typeof document;
});
afterAll(async () => {
  await berth.close();
});

/** Every route the router has, as `method path` with OpenAPI's `{param}` segments. */
function routerRoutes(tree: string): string[] {
  return routesOf(tree).flatMap(({ path, methods }) => {
    const openApiPath = path.replace(/:([a-z_A-Z]+)/g, '{$1}').replace(/\/?\*$/, '/{path}');
    return methods
      .filter((method) => method !== 'HEAD')
      .map((method) => `${method.toLowerCase()} ${openApiPath}`);
  });
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('covers every route the server has, and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    const routes = routerRoutes(berth.runtime.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThan(40);
    expect(documented.sort()).toEqual([...new Set(routes)].sort());
  });

  it('describes request bodies with the schemas the routes validate with', () => {
    const body = (path: string, type = 'application/json') =>
      (
        document.paths[path]?.post?.requestBody as
          { content: Record<string, { schema: { properties: Record<string, unknown> } }> } | undefined
      )?.content[type]?.schema.properties ?? {};
    expect(Object.keys(body('/v1/responses'))).toEqual(
      expect.arrayContaining(['model', 'input', 'tools', 'previous_response_id', 'stream', 'background']),
    );
    expect(Object.keys(body('/v1/containers'))).toEqual(
      expect.arrayContaining(['name', 'memory_limit', 'network_policy', 'file_ids', 'skills']),
    );
    expect(Object.keys(body('/v1/conversations/{id}/items'))).toEqual(['items']);
    expect(Object.keys(body('/v1/containers/{id}/exec'))).toEqual(expect.arrayContaining(['commands']));
    expect(Object.keys(body('/v1/files', 'multipart/form-data'))).toEqual(
      expect.arrayContaining(['purpose', 'file']),
    );
    // Path parameters and list queries.
    const list = document.paths['/v1/conversations/{id}/items']?.get?.parameters as {
      name: string;
      in: string;
    }[];
    expect(list.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual(
      expect.arrayContaining(['path:id', 'query:after', 'query:limit', 'query:order']),
    );
  });

  it('needs no key, while the API it describes does', async () => {
    await issueApiKey(berth.runtime.store.apiKeys, {
      id: 'key_doc',
      name: 'doc',
      projectId: 'p',
      createdAt: 1,
    });
    expect((await fetch(`${new URL(berth.baseURL).origin}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${berth.baseURL}/models`)).status).toBe(401);
  });
});
