import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toContainerFileObject } from '../../containers/container-object.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { receiveFileUpload, registerMultipartUploads } from '../multipart-upload.js';
import { parsePageRequest, toObjectListBody, pageQuerySchema } from '../pagination.js';
import { containerParams } from './container-params.js';

const fileParams = z.strictObject({ id: z.string().min(1), fileId: z.string().min(1) });
const copySchema = z.strictObject({ file_id: z.string().min(1) });

/**
 * `/v1/containers/{id}/files`: add a file (multipart upload, or JSON `file_id` to copy a Files API
 * file), list (which also records files the container's commands wrote, as `source: "assistant"`),
 * retrieve, content and delete. Every read and write runs inside the container's sandbox (see
 * `containers/sandbox-files.ts`), so no path a container controls is ever resolved on the host.
 */
export async function registerContainerFilesRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const { containers, files } = context;
  const uploads = `${context.dataDir}/sandbox/uploads`;

  await app.register(async function containerFilesRoutes(scope) {
    await registerMultipartUploads(scope);

    scope.post(
      '/v1/containers/:id/files',
      { config: { openapi: { body: copySchema, multipart: z.strictObject({}) } } },
      async function createContainerFile(request) {
        const { id } = parseRequest(containerParams, request.params);
        if (!request.isMultipart()) {
          const { file_id } = parseRequest(copySchema, request.body ?? {});
          return toContainerFileObject(await containers.copyFile(request.projectId, id, file_id));
        }
        // Check the container first: an upload to an unknown container is refused before its body is kept.
        await containers.get(request.projectId, id);
        await mkdir(uploads, { recursive: true, mode: 0o700 });
        const staging = `${uploads}/${randomBytes(16).toString('hex')}`;
        try {
          const upload = await receiveFileUpload(request, {
            destination: staging,
            maxBytes: files.maxBytes,
            parseFields: (fields) => parseRequest(z.strictObject({}), fields),
          });
          const file = await containers.putFile(
            request.projectId,
            id,
            upload.filename,
            createReadStream(staging),
          );
          return toContainerFileObject(file);
        } finally {
          await rm(staging, { force: true });
        }
      },
    );

    scope.get(
      '/v1/containers/:id/files',
      { config: { openapi: { query: pageQuerySchema } } },
      async function listContainerFiles(request) {
        const { id } = parseRequest(containerParams, request.params);
        const page = await containers.listFiles(request.projectId, id, parsePageRequest(request.query));
        return toObjectListBody(page.data.map(toContainerFileObject) as { id: string }[], page.hasMore);
      },
    );

    scope.get('/v1/containers/:id/files/:fileId', async function retrieveContainerFile(request) {
      const { id, fileId } = parseRequest(fileParams, request.params);
      return toContainerFileObject(await containers.getFile(request.projectId, id, fileId));
    });

    scope.get(
      '/v1/containers/:id/files/:fileId/content',
      { config: { openapi: { produces: ['application/octet-stream'] } } },
      async function containerFileContent(request, reply) {
        const { id, fileId } = parseRequest(fileParams, request.params);
        const content = await containers.openFileContent(request.projectId, id, fileId);
        return reply.type('application/octet-stream').send(content);
      },
    );

    scope.delete('/v1/containers/:id/files/:fileId', async function deleteContainerFile(request) {
      const { id, fileId } = parseRequest(fileParams, request.params);
      await containers.deleteFile(request.projectId, id, fileId);
      return { id: fileId, object: 'container.file.deleted', deleted: true };
    });
  });
}
