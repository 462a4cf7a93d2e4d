import { createWriteStream } from 'node:fs';
import { finished, pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { BerthError } from '../errors/berth-error.js';
import { formLimits, fromMultipartError, takeTextField, tooLarge, unknownField } from './multipart-upload.js';

export interface FilePartsOptions<Fields> {
  /**
   * An empty directory the caller owns: part `n` is written to `<directory>/<n>`, never under a name
   * the client chose. The caller removes it (the parts are kept there after success, for the caller).
   */
  readonly directory: string;
  /** Form fields that carry files (`files` and `files[]`, as the `openai` client sends one or many). */
  readonly fileFields: readonly string[];
  readonly maxFiles: number;
  /** Largest single part, in bytes. */
  readonly maxBytesPerFile: number;
  /** Largest sum of every part, in bytes; past it the upload is a 413. */
  readonly maxTotalBytes: number;
  /** Checks the text fields once the whole form is read; throw a `BerthError` to refuse. */
  readonly parseFields: (fields: Readonly<Record<string, string>>) => Fields;
}

export interface ReceivedFilePart {
  /** The part's filename exactly as the client sent it, path included (`my-skill/scripts/a.py`). */
  readonly filename: string;
  readonly contentType: string;
  /** Where its bytes are: `<directory>/<n>`. */
  readonly path: string;
  readonly bytes: number;
}

/**
 * Reads a multipart/form-data request with any number of file parts (a directory upload), streaming each
 * to its own file in `directory` under the per-part and total byte limits, and collecting the text
 * fields. Unlike `receiveFileUpload` the filenames keep their paths (busboy's `preservePath`), because
 * a directory upload's paths are its content; they are only reported here, never used as file names.
 * As there, the whole body is read even after a problem, and the first problem is thrown at the end.
 */
export async function receiveFileParts<Fields>(
  request: FastifyRequest,
  options: FilePartsOptions<Fields>,
): Promise<{ files: ReceivedFilePart[]; fields: Fields }> {
  if (!request.isMultipart()) {
    throw new BerthError('unsupported_media_type', 'The request body must be multipart/form-data.');
  }
  const field = options.fileFields[0] ?? 'files';
  const fields = Object.create(null) as Record<string, string>;
  const files: ReceivedFilePart[] = [];
  let problem: BerthError | undefined;
  let storageFailure: Error | undefined;
  let total = 0;
  const limits = {
    ...formLimits,
    fileSize: options.maxBytesPerFile,
    // One more than allowed, so "too many files" is seen and reported in our words, not busboy's.
    files: options.maxFiles + 1,
    parts: options.maxFiles + 1 + formLimits.fields,
  };
  try {
    for await (const part of request.parts({ limits, preservePath: true })) {
      if (part.type === 'file') {
        const tooMany = files.length >= options.maxFiles;
        if (!options.fileFields.includes(part.fieldname) || tooMany || problem) {
          problem ??= tooMany
            ? new BerthError('invalid_value', `A skill can have at most ${options.maxFiles} files.`, {
                param: field,
              })
            : unknownField(part.fieldname);
          part.file.resume();
          await finished(part.file);
          continue;
        }
        if (!part.filename) {
          problem = new BerthError('invalid_value', 'Every uploaded file needs a filename giving its path.', {
            param: field,
          });
          part.file.resume();
          await finished(part.file);
          continue;
        }
        const path = `${options.directory}/${files.length}`;
        const sink = createWriteStream(path, { flags: 'wx', mode: 0o600 });
        sink.once('error', (error) => (storageFailure = error));
        await pipeline(part.file, sink);
        total += sink.bytesWritten;
        if (part.file.truncated) problem = tooLarge(field, options.maxBytesPerFile);
        else if (total > options.maxTotalBytes) problem = tooLarge(field, options.maxTotalBytes);
        files.push({ filename: part.filename, contentType: part.mimetype, path, bytes: sink.bytesWritten });
      } else if (options.fileFields.includes(part.fieldname)) {
        problem ??= new BerthError('invalid_type', `'${part.fieldname}' must be a file, not a text field.`, {
          param: part.fieldname,
        });
      } else {
        problem ??= takeTextField(part, fields);
      }
    }
  } catch (error) {
    if (storageFailure !== undefined) throw storageFailure;
    if ((error as { code?: unknown }).code === 'FST_FILES_LIMIT') {
      throw new BerthError('invalid_value', `A skill can have at most ${options.maxFiles} files.`, {
        param: field,
      });
    }
    throw fromMultipartError(error, field, options.maxBytesPerFile);
  }
  if (problem) throw problem;
  if (files.length === 0) {
    throw new BerthError('missing_required_parameter', `Missing required parameter: '${field}'.`, {
      param: field,
    });
  }
  return { files, fields: options.parseFields(fields) };
}
