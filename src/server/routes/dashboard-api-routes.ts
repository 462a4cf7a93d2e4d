import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toContainerFileObject, toContainerObject } from '../../containers/container-object.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { toObjectListBody } from '../pagination.js';
import { containerParams } from './container-params.js';

const responseStatuses = ['queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete'] as const;

const responseListQuery = z.strictObject({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  status: z.enum(responseStatuses).optional(),
  model: z.string().min(1).max(256).optional(),
  /** Text to find in the response's id, its object as served, or its input. */
  q: z.string().max(256).optional(),
});

/**
 * How far a file's modification time may lag the moment it was written: the kernel stamps files from
 * a clock that advances once per tick (1-10 ms, by the kernel's HZ), so the write happened at some
 * moment in [mtime, mtime + tick].
 */
const fileClockTickMs = 10;

/**
 * The dashboard's own reads, Berth's extension under `/ui/api` (behind API keys like `/v1`): what the
 * OpenAI-shaped endpoints do not answer. The responses list, newest first, with status, model and
 * text filters; a container with its driver and limits; and a container's files with the command that
 * last wrote each one (artefact lineage). Everything else the dashboard shows comes from `/v1`.
 */
export function registerDashboardApiRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(
    '/ui/api/responses',
    { config: { openapi: { query: responseListQuery } } },
    async function listResponseSummaries(request) {
      const query = parseRequest(responseListQuery, request.query ?? {});
      const page = await context.responses.listSummaries(
        request.projectId,
        { after: query.after, limit: query.limit ?? 20, order: query.order ?? 'desc' },
        { status: query.status, model: query.model, search: query.q },
      );
      return toObjectListBody(page.data, page.hasMore);
    },
  );

  app.get('/ui/api/containers/:id', async function describeContainer(request) {
    const { id } = parseRequest(containerParams, request.params);
    const { container, driver, limits } = await context.containers.describe(request.projectId, id);
    return {
      ...toContainerObject(container),
      driver,
      image: container.image,
      skills: container.skills.map((skill) => ({
        name: skill.name,
        description: skill.description,
        skill_id: skill.skillId,
        version: skill.version,
      })),
      limits: {
        memory_bytes: limits.memoryBytes,
        cpus: limits.cpus,
        pids: limits.pids,
        disk_bytes: limits.diskBytes,
      },
    };
  });

  app.get('/ui/api/containers/:id/files', async function listFilesWithLineage(request) {
    const { id } = parseRequest(containerParams, request.params);
    const files = await context.containers.filesWithTimes(request.projectId, id);
    const data = [];
    for (const { file, modifiedMs } of files) {
      const producedBy = await context.responses.toolCallDuring(
        request.projectId,
        id,
        modifiedMs,
        modifiedMs + fileClockTickMs,
      );
      data.push({
        ...toContainerFileObject(file),
        id: file.id,
        path: file.path,
        modified_at_ms: modifiedMs,
        produced_by: producedBy ?? null,
      });
    }
    data.sort((a, b) => a.path.localeCompare(b.path));
    return toObjectListBody(data, false);
  });
}
