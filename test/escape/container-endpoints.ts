import { readdirSync } from 'node:fs';
import type { EscapeBerth, EscapeProject, HttpRequest } from './escape-berth.js';

/** One request to a container endpoint. */
export interface Endpoint {
  readonly method: string;
  readonly path: string;
  readonly request?: HttpRequest;
}

/** A multipart body with one `file` part whose Content-Disposition ends with `disposition` verbatim. */
export function multipartFile(disposition: string, content: string): { body: Buffer; contentType: string } {
  const boundary = 'berth-escape-boundary';
  return {
    body: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`,
    ),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * Every container endpoint, with `{id}` and `{fileId}` put in as given (already percent-encoded). The
 * ones that write would leave /mnt/data/pwned behind if they got through.
 */
export function containerEndpoints(id: string, fileId: string): Endpoint[] {
  const container = `/v1/containers/${id}`;
  const file = `${container}/files/${fileId}`;
  return [
    { method: 'GET', path: container },
    { method: 'DELETE', path: container },
    // Would open the container to the network if it got through (the snapshot shows its policy).
    {
      method: 'POST',
      path: container,
      request: { json: { network_policy: { type: 'allowlist', allowed_domains: ['example.com'] } } },
    },
    { method: 'POST', path: `${container}/exec`, request: { json: { commands: ['touch /mnt/data/pwned'] } } },
    // Streaming exec answers SSE once it runs; a container it cannot use is refused before that.
    {
      method: 'POST',
      path: `${container}/exec`,
      request: { json: { commands: ['touch /mnt/data/pwned'], stream: true } },
    },
    { method: 'GET', path: `${container}/files` },
    { method: 'POST', path: `${container}/files`, request: multipartFile('filename="pwned"', 'pwned') },
    { method: 'POST', path: `${container}/files`, request: { json: { file_id: 'file-unknown' } } },
    { method: 'GET', path: file },
    { method: 'GET', path: `${file}/content` },
    { method: 'DELETE', path: file },
  ];
}

/** The endpoints that name a file (the last three of `containerEndpoints`). */
export function fileEndpoints(id: string, fileId: string): Endpoint[] {
  return containerEndpoints(id, fileId).slice(-3);
}

/** What a request could have changed: a project's containers, one container's files and disk, the host. */
export interface Snapshot {
  readonly containers: string;
  readonly files: string;
  readonly disk: string;
  readonly dataDir: string;
}

export async function snapshot(
  escape: EscapeBerth,
  project: EscapeProject,
  container: string,
): Promise<Snapshot> {
  const client = escape.client(project);
  const containers = (await client.containers.list({ limit: 100 })).data.map(
    (c) => `${c.id} ${c.status} ${JSON.stringify(c.network_policy)}`,
  );
  const files = (await client.containers.files.list(container, { limit: 100 })).data.map(
    (file) => `${file.id} ${file.path} ${file.bytes}`,
  );
  const disk = await escape.run(project, container, 'find /mnt/data /tmp -printf "%p %s %y\\n" | sort');
  // The host tree at rest: a container deleted earlier (by this test or another) may still be being
  // torn down behind its DELETE's answer.
  await escape.berth.runtime.containers.teardownsDone();
  return {
    containers: containers.sort().join('\n'),
    files: files.sort().join('\n'),
    disk: disk.stdout,
    dataDir: hostTree(escape.dataDir),
  };
}

/** Every path under `root` with its kind, sorted; the SQLite files (every request writes them) left out. */
function hostTree(root: string, prefix = ''): string {
  const lines: string[] = [];
  for (const entry of readdirSync(`${root}${prefix}`, { withFileTypes: true })) {
    const path = `${prefix}/${entry.name}`;
    if (/^\/berth\.sqlite/.test(path)) continue;
    lines.push(`${path}${entry.isDirectory() ? '/' : ''}`);
    if (entry.isDirectory()) lines.push(hostTree(root, path));
  }
  return lines
    .filter((line) => line !== '')
    .sort()
    .join('\n');
}
