/**
 * Every error Berth reports has a stable string code from this registry, with the HTTP status and the
 * OpenAI error `type` it is reported with. Codes follow OpenAI's where OpenAI has one, so clients that
 * branch on `error.code` behave the same against Berth.
 */
export const errorCodes = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unknown_parameter: { status: 400, type: 'invalid_request_error' },
  invalid_type: { status: 400, type: 'invalid_request_error' },
  missing_required_parameter: { status: 400, type: 'invalid_request_error' },
  unsupported_parameter: { status: 400, type: 'invalid_request_error' },
  invalid_value: { status: 400, type: 'invalid_request_error' },
  // An array in the body is longer than the server accepts (OpenAI's code for its own array limits).
  array_above_max_length: { status: 400, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  previous_response_not_found: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  // A path segment (an id) longer than the router accepts; no id Berth mints comes near the limit.
  uri_too_long: { status: 414, type: 'invalid_request_error' },
  // The request line and headers together exceed Node's header size limit (16 KB by default).
  request_headers_too_large: { status: 431, type: 'invalid_request_error' },
  // The client did not finish sending its request in time.
  request_timeout: { status: 408, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'invalid_request_error' },
  missing_api_key: { status: 401, type: 'invalid_request_error' },
  conflict: { status: 409, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  // A plain request to an endpoint that only speaks WebSocket.
  upgrade_required: { status: 426, type: 'invalid_request_error' },
  upstream_error: { status: 502, type: 'server_error' },
  server_error: { status: 500, type: 'server_error' },
  server_shutting_down: { status: 503, type: 'server_error' },
  cancelled: { status: 499, type: 'invalid_request_error' },
  configuration_error: { status: 500, type: 'server_error' },
  // A project already has as many live containers as the server allows.
  container_limit_reached: { status: 400, type: 'invalid_request_error' },
  // Containers are turned off (no sandbox driver), so container endpoints cannot work.
  containers_disabled: { status: 400, type: 'invalid_request_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof errorCodes;
