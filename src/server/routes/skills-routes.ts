import { open } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../errors/berth-error.js';
import { toSkillObject, toSkillVersionObject } from '../../skills/skill-object.js';
import type { SkillService } from '../../skills/skill-service.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { receiveFileParts } from '../multipart-file-parts.js';
import { registerMultipartUploads } from '../multipart-upload.js';
import { parsePageRequest, toObjectListBody, pageQuerySchema } from '../pagination.js';

const skillParams = z.strictObject({ id: z.string().min(1) });
const versionParams = z.strictObject({ id: z.string().min(1), version: z.string().min(1) });
const updateSchema = z.strictObject({
  default_version: z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a version number such as "2"'),
});
/** `default` as the `openai` client writes a boolean into a form. */
const versionFieldsSchema = z.strictObject({ default: z.enum(['true', 'false']).optional() });

/** The form fields that carry files: `files[]` for a directory upload, `files` for one zip. */
const fileFields = ['files', 'files[]'];

/**
 * `/v1/skills`: upload (multipart: a directory upload or one zip), list, retrieve, set the default
 * version, delete, download, and the same for versions. The multipart parser is registered for these
 * routes only.
 */
export async function registerSkillsRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const { skills } = context;
  const receive = <Fields>(
    request: Parameters<typeof receiveFileParts>[0],
    parseFields: (fields: Readonly<Record<string, string>>) => Fields,
  ) =>
    function receiveSkillFiles(directory: string) {
      return receiveFileParts(request, {
        directory,
        fileFields,
        maxFiles: skills.limits.maxFiles,
        maxBytesPerFile: skills.limits.maxUploadBytes,
        maxTotalBytes: skills.limits.maxUploadBytes,
        parseFields,
      });
    };

  await app.register(async function skillsRoutes(scope) {
    await registerMultipartUploads(scope);

    scope.post(
      '/v1/skills',
      { config: { openapi: { multipart: z.strictObject({}) } } },
      async function createSkill(request) {
        const skill = await skills.create(
          request.projectId,
          receive(request, (fields) => parseRequest(z.strictObject({}), fields)),
        );
        return toSkillObject(skill);
      },
    );

    scope.get(
      '/v1/skills',
      { config: { openapi: { query: pageQuerySchema } } },
      async function listSkills(request) {
        const page = await skills.list(request.projectId, parsePageRequest(request.query));
        return toObjectListBody(page.data.map(toSkillObject) as { id: string }[], page.hasMore);
      },
    );

    scope.get('/v1/skills/:id', async function retrieveSkill(request) {
      const { id } = parseRequest(skillParams, request.params);
      return toSkillObject(await skills.get(request.projectId, id));
    });

    scope.post(
      '/v1/skills/:id',
      { config: { openapi: { body: updateSchema } } },
      async function updateSkill(request) {
        const { id } = parseRequest(skillParams, request.params);
        const { default_version } = parseRequest(updateSchema, request.body ?? {});
        return toSkillObject(await skills.setDefaultVersion(request.projectId, id, default_version));
      },
    );

    scope.delete('/v1/skills/:id', async function deleteSkill(request) {
      const { id } = parseRequest(skillParams, request.params);
      await skills.delete(request.projectId, id);
      return { id, object: 'skill.deleted', deleted: true };
    });

    scope.get(
      '/v1/skills/:id/content',
      { config: { openapi: { produces: ['application/zip'] } } },
      async function skillContent(request, reply) {
        const { id } = parseRequest(skillParams, request.params);
        return sendZip(reply, skills, request.projectId, id);
      },
    );

    scope.post(
      '/v1/skills/:id/versions',
      { config: { openapi: { multipart: versionFieldsSchema } } },
      async function createSkillVersion(request) {
        const { id } = parseRequest(skillParams, request.params);
        const version = await skills.createVersion(request.projectId, id, async (directory) => {
          const upload = await receive(request, (fields) => parseRequest(versionFieldsSchema, fields))(
            directory,
          );
          return { files: upload.files, makeDefault: upload.fields.default === 'true' };
        });
        return toSkillVersionObject(version);
      },
    );

    scope.get(
      '/v1/skills/:id/versions',
      { config: { openapi: { query: pageQuerySchema } } },
      async function listSkillVersions(request) {
        const { id } = parseRequest(skillParams, request.params);
        const page = await skills.listVersions(request.projectId, id, parsePageRequest(request.query));
        return toObjectListBody(page.data.map(toSkillVersionObject) as { id: string }[], page.hasMore);
      },
    );

    scope.get('/v1/skills/:id/versions/:version', async function retrieveSkillVersion(request) {
      const { id, version } = parseRequest(versionParams, request.params);
      return toSkillVersionObject(await skills.getVersion(request.projectId, id, version));
    });

    scope.delete('/v1/skills/:id/versions/:version', async function deleteSkillVersion(request) {
      const { id, version } = parseRequest(versionParams, request.params);
      const deleted = await skills.deleteVersion(request.projectId, id, version);
      return {
        id: deleted.id,
        object: 'skill.version.deleted',
        deleted: true,
        version: String(deleted.version),
      };
    });

    scope.get(
      '/v1/skills/:id/versions/:version/content',
      { config: { openapi: { produces: ['application/zip'] } } },
      async function skillVersionContent(request, reply) {
        const { id, version } = parseRequest(versionParams, request.params);
        return sendZip(reply, skills, request.projectId, id, version);
      },
    );
  });
}

/** Opens the zip before answering, so a version deleted a moment ago is a clean 404. */
async function sendZip(
  reply: FastifyReply,
  skills: SkillService,
  projectId: string,
  id: string,
  version?: string,
): Promise<FastifyReply> {
  const path = await skills.contentPath(projectId, id, version);
  const handle = await open(path, 'r').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('skill', id);
    throw error;
  });
  const { size } = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  return reply.type('application/zip').header('content-length', size).send(handle.createReadStream());
}
