import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished, pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError } from '../errors/berth-error.js';
import { partialPathFor } from '../files/partial-file.js';

/**
 * Limits on everything in a form but the file itself. Upload forms carry a handful of short text
 * fields, so these are small: they bound the memory a hostile form can make the server hold.
 */
export const formLimits = {
  fields: 32,
  fieldSize: 64 * 1024,
  fieldNameSize: 200,
  parts: 64,
  headerPairs: 64,
};

/**
 * Adds multipart/form-data parsing to `scope` only. Call it inside the encapsulated plugin that holds
 * the upload routes, so every other route keeps refusing multipart bodies.
 *
 * @example
 * await app.register(async (scope) => {
 *   await registerMultipartUploads(scope);
 *   scope.post('/v1/files', async (request) => receiveFileUpload(request, { ... }));
 * });
 */
export async function registerMultipartUploads(scope: FastifyInstance): Promise<void> {
  // The file size limit is given per request by `receiveFileUpload`; this default (the server's body
  // limit) only guards a route that reads parts without it.
  await scope.register(multipart, { limits: { ...formLimits, fileSize: scope.initialConfig.bodyLimit } });
}

export interface FileUploadOptions<Fields> {
  /**
   * Where the file's bytes end up. They are streamed to a temporary file beside it and renamed into
   * place only once the whole form was read and accepted, so `destination` never holds a partial file.
   */
  readonly destination: string;
  /** Largest file accepted, in bytes; a larger one is a 413 and nothing is kept. */
  readonly maxBytes: number;
  /** The form field that carries the file; `file` by default. */
  readonly fileField?: string;
  /**
   * Checks the form's text fields (after the whole form is read: clients may send them after the
   * file) and returns them parsed. Throw a `BerthError` to reject the upload; nothing is kept.
   */
  readonly parseFields: (fields: Readonly<Record<string, string>>) => Fields;
}

export interface FileUpload<Fields> {
  /** The client's filename as one display-safe segment (see `toDisplayFilename`); never a path. */
  readonly filename: string;
  /** The part's declared content type, as the client sent it. */
  readonly contentType: string;
  readonly bytes: number;
  readonly fields: Fields;
}

/**
 * Reads a multipart/form-data request with exactly one file part, streaming the file to disk (never
 * buffering it) and collecting the text fields. The whole body is read even when the form is bad or
 * the file too large (the rest is discarded, as Fastify does for an oversized JSON body): the parser
 * is fed by the request, so leaving early would leave it paused on the unread rest. Problems found
 * on the way are reported once the form ends, as a `BerthError` in OpenAI's terms (400, or 413 for a
 * file over `maxBytes`). On any failure the temporary file is removed.
 */
export async function receiveFileUpload<Fields>(
  request: FastifyRequest,
  options: FileUploadOptions<Fields>,
): Promise<FileUpload<Fields>> {
  if (!request.isMultipart()) {
    throw new BerthError('unsupported_media_type', 'The request body must be multipart/form-data.');
  }
  const fileField = options.fileField ?? 'file';
  const partial = partialPathFor(options.destination);
  // No prototype: a field named like an Object.prototype member stays a plain entry.
  const fields = Object.create(null) as Record<string, string>;
  let file: Omit<FileUpload<Fields>, 'fields'> | undefined;
  // The first problem found; reported after the rest of the body has been read.
  let problem: BerthError | undefined;
  let storageFailure: Error | undefined;
  let kept = false;
  try {
    try {
      for await (const part of request.parts({ limits: { ...formLimits, fileSize: options.maxBytes } })) {
        if (part.type === 'file') {
          if (part.fieldname !== fileField || file !== undefined) {
            problem ??= part.fieldname === fileField ? onlyOneFile(fileField) : unknownField(part.fieldname);
            part.file.resume();
            await finished(part.file);
            continue;
          }
          const sink = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
          // Only the file system's own failures (ENOSPC, EIO: they carry a syscall) are the server's.
          // Node 24's pipeline also hands the sink the source's error (a body cut off mid-file), which
          // is the client's and must stay a 400.
          sink.once('error', (error: NodeJS.ErrnoException) => {
            if (error.syscall !== undefined) storageFailure = error;
          });
          await pipeline(part.file, sink);
          if (part.file.truncated) problem = tooLarge(fileField, options.maxBytes);
          file = {
            filename: toDisplayFilename(part.filename),
            contentType: part.mimetype,
            bytes: sink.bytesWritten,
          };
        } else if (part.fieldname === fileField) {
          problem ??= new BerthError('invalid_type', `'${fileField}' must be a file, not a text field.`, {
            param: fileField,
          });
        } else {
          problem ??= takeTextField(part, fields);
        }
      }
    } catch (error) {
      // A full disk is the server's fault; everything else here is the form's.
      if (storageFailure !== undefined) throw storageFailure;
      throw fromMultipartError(error, fileField, options.maxBytes);
    }
    if (problem) throw problem;
    if (!file) {
      throw new BerthError('missing_required_parameter', `Missing required parameter: '${fileField}'.`, {
        param: fileField,
      });
    }
    const parsed = options.parseFields(fields);
    await rename(partial, options.destination);
    kept = true;
    return { ...file, fields: parsed };
  } finally {
    if (!kept) await rm(partial, { force: true });
  }
}

/**
 * The client's filename for display: the last path segment only (either slash), without control
 * characters (NUL included), at most 255 UTF-8 bytes, and never empty, `.` or `..`. It is safe as a
 * single path segment, but Berth still never uses it in a filesystem path: blobs are named by id.
 */
export function toDisplayFilename(name: string | undefined): string {
  const segment = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const cleaned = segment.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  let bounded = '';
  let bytes = 0;
  for (const character of cleaned) {
    bytes += Buffer.byteLength(character);
    if (bytes > 255) break;
    bounded += character;
  }
  return bounded === '' || bounded === '.' || bounded === '..' ? 'file' : bounded;
}

/**
 * Form fields as the official `openai` client writes nested objects (`expires_after[seconds]`), turned
 * back into objects one level deep: `{ expires_after: { seconds } }`. Other names are kept as they are.
 */
export function nestBracketedFields(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  // Objects without a prototype, so `__proto__[polluted]=1` makes an own key (which strict validation
  // then rejects) instead of writing to Object.prototype.
  const nested = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) {
    const match = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name);
    const [, parentName, childName] = match ?? [];
    if (parentName === undefined || childName === undefined) {
      nested[name] = value;
      continue;
    }
    const parent = nested[parentName];
    if (typeof parent === 'object' && parent !== null) {
      (parent as Record<string, unknown>)[childName] = value;
    } else if (parent === undefined) {
      nested[parentName] = Object.assign(Object.create(null) as Record<string, unknown>, {
        [childName]: value,
      });
    } else {
      // `a=1` and `a[b]=2` together: keep the bracketed name so validation reports it as unknown.
      nested[name] = value;
    }
  }
  return nested;
}

export function tooLarge(fileField: string, maxBytes: number): BerthError {
  return new BerthError(
    'request_too_large',
    `The file is larger than the ${maxBytes} bytes this server accepts.`,
    {
      param: fileField,
    },
  );
}

function onlyOneFile(fileField: string): BerthError {
  return new BerthError('invalid_request', `Only one '${fileField}' can be uploaded per request.`, {
    param: fileField,
  });
}

export function unknownField(name: string): BerthError {
  return new BerthError('unknown_parameter', `Unknown parameter: '${name}'.`, { param: name });
}

/** The multipart plugin's and busboy's errors (limits, malformed bodies) in Berth's error registry. */
export function fromMultipartError(error: unknown, fileField: string, maxBytes: number): BerthError {
  if (error instanceof BerthError) return error;
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(fileField, maxBytes);
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new BerthError('invalid_request', 'The form has more fields than an upload can have.');
    case 'FST_PROTO_VIOLATION':
      return new BerthError('invalid_request', 'The form has a field name that is not allowed.');
    default:
      return new BerthError(
        'invalid_request',
        `We could not parse the multipart/form-data body of your request: ${error instanceof Error ? error.message : String(error)}`,
      );
  }
}

/**
 * Records a multipart text field in `fields`, or answers what is wrong with it (not text, cut off, or
 * given twice) without recording it.
 */
export function takeTextField(
  part: { readonly fieldname: string; readonly value: unknown; readonly valueTruncated: boolean },
  fields: Record<string, string>,
): BerthError | undefined {
  if (typeof part.value !== 'string' || part.valueTruncated) {
    return new BerthError('invalid_value', `Invalid value for '${part.fieldname}'.`, {
      param: part.fieldname,
    });
  }
  if (Object.hasOwn(fields, part.fieldname)) {
    return new BerthError('invalid_value', `'${part.fieldname}' was given more than once.`, {
      param: part.fieldname,
    });
  }
  fields[part.fieldname] = part.value;
  return undefined;
}
