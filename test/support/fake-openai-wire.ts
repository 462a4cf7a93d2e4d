import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ScriptedTurn } from './scripted-turn.js';

/**
 * What both OpenAI fakes (Responses and Chat Completions) send the same way, because api.openai.com
 * does: JSON with an `x-request-id`, the `{"error":{…}}` envelope, the invalid-JSON 400 and the model
 * list. Each fake keeps its own routes and rendering.
 */

/** A JSON object as the fakes read and write it. */
export type Json = Record<string, unknown>;

/** An `x-request-id` value in OpenAI's form. */
export function requestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-request-id': requestId(),
  });
  response.end(payload);
}

export function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): void {
  sendJson(response, status, { error: { message, type, param, code } });
}

/** The 400 api.openai.com gives for a body that is not JSON, word for word. */
export function sendInvalidJson(response: ServerResponse): void {
  sendError(response, 400, invalidJsonMessage, 'invalid_request_error');
}

/** `GET /v1/models`: the page of model objects for `ids`. */
export function sendModelList(response: ServerResponse, ids: readonly string[]): void {
  const data = ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' }));
  sendJson(response, 200, { object: 'list', data });
}

/** A 400 the real API gives for a request a Berth adapter must not send. */
export interface Rejection {
  readonly message: string;
  readonly param: string | null;
  readonly code: string | null;
}

export function sendRejection(response: ServerResponse, rejection: Rejection): void {
  sendError(response, 400, rejection.message, 'invalid_request_error', rejection.param, rejection.code);
}

/** A scripted error, with the `type` OpenAI gives its status when the script names none. */
export function sendScriptedError(response: ServerResponse, error: NonNullable<ScriptedTurn['error']>): void {
  const type = error.type ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error');
  sendError(response, error.status, error.message, type);
}

/** Starts a 200 SSE reply with the headers the real API sends. */
export function writeEventStreamHead(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': requestId(),
  });
}

/** Reads a request field leniently: anything but a JSON object counts as an empty one. */
export function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

const invalidJsonMessage =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";
