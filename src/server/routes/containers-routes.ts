import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toContainerObject } from '../../containers/container-object.js';
import { memoryLimitSchema, networkPolicySchema } from '../../containers/container-options.js';
import { containerSkillsSchema } from '../../skills/container-skills-schema.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { parsePageRequest, toObjectListBody, pageQuerySchema } from '../pagination.js';
import { registerContainerEgressRoute } from './container-egress-route.js';
import { registerContainerExecRoute } from './container-exec-route.js';
import { containerParams } from './container-params.js';
import { registerContainerFilesRoutes } from './container-files-routes.js';

const createContainerSchema = z.strictObject({
  name: z.string().min(1).max(256),
  expires_after: z
    .strictObject({
      anchor: z.literal('last_active_at'),
      minutes: z
        .int()
        .min(1)
        .max(7 * 24 * 60),
    })
    .optional(),
  file_ids: z.array(z.string().min(1)).max(100).optional(),
  memory_limit: memoryLimitSchema.optional(),
  network_policy: networkPolicySchema.optional(),
  skills: containerSkillsSchema.optional(),
  /** Berth's extension: the image to start from (`host`, or one built with `berth image build`). */
  image: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be an image name such as "host" or "debian"')
    .optional(),
});

/** Berth's extension: what a running container may change (its network policy, for now). */
const updateContainerSchema = z.strictObject({ network_policy: networkPolicySchema });

const listQuerySchema = z.looseObject({ name: z.string().min(1).optional() });

/** Default idle time before a container expires, in minutes (OpenAI's). */
const defaultExpiryMinutes = 20;

/**
 * `/v1/containers`: create, list, retrieve, delete, and Berth's update of the network policy — and, under it, the container files routes and
 * Berth's own `exec` and `egress` extensions.
 */
export async function registerContainersRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const { containers } = context;

  app.post(
    '/v1/containers',
    { config: { openapi: { body: createContainerSchema } } },
    async function createContainer(request) {
      const body = parseRequest(createContainerSchema, request.body ?? {});
      const container = await containers.create(request.projectId, {
        name: body.name,
        expiresAfterMinutes: body.expires_after?.minutes ?? defaultExpiryMinutes,
        memoryLimit: body.memory_limit ?? '1g',
        fileIds: body.file_ids ?? [],
        image: body.image,
        skills: body.skills,
        networkPolicy: body.network_policy && { policy: body.network_policy, param: 'network_policy' },
      });
      return toContainerObject(container);
    },
  );

  app.get(
    '/v1/containers',
    { config: { openapi: { query: listQuerySchema.and(pageQuerySchema) } } },
    async function listContainers(request) {
      const { name } = parseRequest(listQuerySchema, request.query ?? {});
      const page = await containers.list(request.projectId, { ...parsePageRequest(request.query), name });
      return toObjectListBody(page.data.map(toContainerObject) as { id: string }[], page.hasMore);
    },
  );

  app.get('/v1/containers/:id', async function retrieveContainer(request) {
    const { id } = parseRequest(containerParams, request.params);
    return toContainerObject(await containers.get(request.projectId, id));
  });

  app.post(
    '/v1/containers/:id',
    { config: { openapi: { body: updateContainerSchema } } },
    async function updateContainer(request) {
      const { id } = parseRequest(containerParams, request.params);
      const body = parseRequest(updateContainerSchema, request.body ?? {});
      const container = await containers.setNetworkPolicy(request.projectId, id, {
        policy: body.network_policy,
        param: 'network_policy',
      });
      return toContainerObject(container);
    },
  );

  app.delete('/v1/containers/:id', async function deleteContainer(request) {
    const { id } = parseRequest(containerParams, request.params);
    await containers.delete(request.projectId, id);
    return { id, object: 'container.deleted', deleted: true };
  });

  registerContainerExecRoute(app, context);
  registerContainerEgressRoute(app, context);
  await registerContainerFilesRoutes(app, context);
}
