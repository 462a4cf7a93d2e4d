import { open, type FileHandle } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../errors/berth-error.js';
import { toFileObject, uploadPurposes } from '../../files/file-object.js';
import type { FileService } from '../../files/file-service.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { nestBracketedFields, receiveFileUpload, registerMultipartUploads } from '../multipart-upload.js';
import { parsePageRequest, toObjectListBody, pageQuerySchema } from '../pagination.js';

/**
 * The text fields of `POST /v1/files`, after `nestBracketedFields`. The official client sends
 * `expires_after` as `expires_after[anchor]` and `expires_after[seconds]`; the bounds are OpenAI's
 * (one hour to 30 days).
 */
const uploadFieldsSchema = z.strictObject({
  // A string first, so a missing purpose is reported as missing rather than as a bad value.
  purpose: z.string().pipe(z.enum(uploadPurposes)),
  expires_after: z
    .strictObject({
      anchor: z.literal('created_at'),
      seconds: z.coerce.number().int().min(3600).max(2_592_000),
    })
    .optional(),
});
const listFilterSchema = z.looseObject({ purpose: z.string().min(1).optional() });
const fileParams = z.strictObject({ id: z.string().min(1) });

/**
 * `/v1/files`: upload (multipart/form-data, streamed to disk), list, retrieve, content, delete. The
 * multipart parser is registered for these routes only.
 */
export async function registerFilesRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const { files } = context;
  await app.register(async function filesRoutes(scope) {
    await registerMultipartUploads(scope);

    scope.post(
      '/v1/files',
      { config: { openapi: { multipart: uploadFieldsSchema } } },
      async function createFile(request) {
        const file = await files.create(request.projectId, async (destination) => {
          const upload = await receiveFileUpload(request, {
            destination,
            maxBytes: files.maxBytes,
            parseFields: (fields) => parseRequest(uploadFieldsSchema, nestBracketedFields(fields)),
          });
          return {
            filename: upload.filename,
            purpose: upload.fields.purpose,
            expiresAfterSeconds: upload.fields.expires_after?.seconds,
          };
        });
        return toFileObject(file);
      },
    );

    scope.get(
      '/v1/files',
      { config: { openapi: { query: listFilterSchema.and(pageQuerySchema) } } },
      async function listFiles(request) {
        const { purpose } = parseRequest(listFilterSchema, request.query ?? {});
        const page = await files.list(request.projectId, { ...parsePageRequest(request.query), purpose });
        return toObjectListBody(page.data.map(toFileObject), page.hasMore);
      },
    );

    scope.get('/v1/files/:id', async function retrieveFile(request) {
      const { id } = parseRequest(fileParams, request.params);
      const file = await files.get(request.projectId, id);
      if (!file) throw notFound('file', id);
      return toFileObject(file);
    });

    scope.get(
      '/v1/files/:id/content',
      { config: { openapi: { produces: ['application/octet-stream'] } } },
      async function retrieveFileContent(request, reply) {
        const { id } = parseRequest(fileParams, request.params);
        const { handle, size } = await openBlob(files, request.projectId, id);
        return reply
          .type('application/octet-stream')
          .header('content-length', size)
          .send(handle.createReadStream());
      },
    );

    scope.delete('/v1/files/:id', async function deleteFile(request) {
      const { id } = parseRequest(fileParams, request.params);
      if (!(await files.delete(request.projectId, id))) throw notFound('file', id);
      return { id, object: 'file', deleted: true };
    });
  });
}

/** Opens the blob before answering, so a file deleted a moment ago is a clean 404, not a broken stream. */
async function openBlob(
  files: FileService,
  projectId: string,
  id: string,
): Promise<{ handle: FileHandle; size: number }> {
  const content = await files.openContent(projectId, id);
  if (!content) throw notFound('file', id);
  let handle: FileHandle;
  try {
    handle = await open(content.path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('file', id);
    throw error;
  }
  try {
    return { handle, size: (await handle.stat()).size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
