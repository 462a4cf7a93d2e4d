/**
 * The dashboard's only way to Berth: the same HTTP API every client uses, with the API key the
 * operator typed in (kept for this browser tab only, in sessionStorage).
 */
const keyName = 'berth.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(keyName);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(keyName);
  else sessionStorage.setItem(keyName, key);
}

/** An answer other than 2xx, with the message of OpenAI's error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when Berth refuses the key (401): the app asks for another. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = storedKey();
  if (key) headers.set('authorization', `Bearer ${key}`);
  const response = await fetch(path, { ...init, headers });
  if (response.ok) return response;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not the error envelope: the status says enough.
  }
  if (response.status === 401) onUnauthorized();
  throw new ApiError(response.status, message);
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await request(path, init)).json()) as T;
}

/** An OpenAI list page. */
export interface List<T> {
  readonly data: T[];
  readonly has_more: boolean;
  readonly last_id: string | null;
}

/** Every entry of a list endpoint, page after page (`limit=100`), up to `most`. */
export async function getAll<T>(path: string, most = 2000): Promise<T[]> {
  const all: T[] = [];
  let after: string | null = null;
  for (;;) {
    const separator = path.includes('?') ? '&' : '?';
    const page: List<T> = await getJson<List<T>>(
      `${path}${separator}limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`,
    );
    all.push(...page.data);
    if (!page.has_more || page.last_id === null || all.length >= most) return all;
    after = page.last_id;
  }
}

/**
 * Follows a response's event stream (`GET /v1/responses/{id}?stream=true`), calling `onEvent` with
 * each event's type, until it ends or `signal` aborts. Server-sent events are read from the fetch body:
 * `EventSource` cannot send the API key.
 */
export async function followEvents(
  path: string,
  onEvent: (type: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await request(path, { signal, headers: { accept: 'text/event-stream' } });
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      if (type) onEvent(type.trim());
    }
  }
}
