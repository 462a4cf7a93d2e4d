import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getJson, request, type List } from './api.js';
import { expiry, type Container } from './containers-page.js';
import { bytes, dateTime, dateTimeMs, duration } from './format.js';
import { link } from './router.js';
import { useLoad } from './use-load.js';

interface ContainerDetails extends Container {
  readonly driver: string | null;
  readonly image: string;
  readonly skills: { name: string; skill_id: string | null; version: number | null }[];
  readonly limits: { memory_bytes: number; cpus: number; pids: number; disk_bytes: number };
}

/** A row of `GET /ui/api/containers/{id}/files`: a file and the command that last wrote it. */
interface FileWithLineage {
  readonly id: string;
  readonly path: string;
  readonly bytes: number;
  readonly source: string;
  readonly modified_at_ms: number;
  readonly produced_by: {
    readonly response_id: string;
    readonly command: string;
    readonly command_index: number;
    readonly duration_ms: number;
    readonly outcome: { type: string; exit_code?: number };
  } | null;
}

/** One container: where and how it runs, and its files with the response and command behind each. */
export function ContainerPage({ id }: { id: string }) {
  const path = `/ui/api/containers/${encodeURIComponent(id)}`;
  const details = useLoad(() => getJson<ContainerDetails>(path), [path]);
  const files = useLoad(() => getJson<List<FileWithLineage>>(`${path}/files`), [path]);
  const [downloadError, setDownloadError] = useState<string | undefined>();
  const container = details.value;

  const download = async (file: FileWithLineage) => {
    try {
      const content = await request(
        `/v1/containers/${encodeURIComponent(id)}/files/${encodeURIComponent(file.id)}/content`,
      );
      const url = URL.createObjectURL(await content.blob());
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = file.path.split('/').at(-1) ?? 'file';
      anchor.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (failure) {
      setDownloadError((failure as Error).message);
    }
  };

  if (details.error) return html`<p class="error" role="alert">${details.error}</p>`;
  if (!container) return html`<p>Loading ${id}…</p>`;
  return html`
    <section>
      <h1>${container.name} <small>${container.id}</small></h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd><span class=${`status ${container.status}`}>${container.status}</span></dd>
        <dt>Driver</dt>
        <dd>${container.driver ?? 'none'}</dd>
        <dt>Image</dt>
        <dd>${container.image}</dd>
        <dt>Limits</dt>
        <dd>${limitsText(container)}</dd>
        <dt>Network</dt>
        <dd>${networkText(container)}</dd>
        <dt>Created</dt>
        <dd>${dateTime(container.created_at)}</dd>
        <dt>Last active</dt>
        <dd>${dateTime(container.last_active_at)}</dd>
        <dt>Expires</dt>
        <dd>${expiry(container)} (after ${container.expires_after.minutes} idle minutes)</dd>
        ${
          container.skills.length > 0 &&
          html`<dt>Skills</dt>
            <dd>
              ${container.skills.map((skill) => `${skill.name}${skill.version ? ` v${skill.version}` : ''}`).join(', ')}
            </dd>`
        }
      </dl>
      <h2>Files</h2>
      ${files.error && html`<p class="error" role="alert">${files.error}</p>`}
      ${downloadError && html`<p class="error" role="alert">${downloadError}</p>`}
      <table>
        <thead>
          <tr>
            <th>Path</th>
            <th>Size</th>
            <th>Modified</th>
            <th>Produced by</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${(files.value?.data ?? []).map(
            (file) =>
              html`<tr data-testid="file">
                <td>${file.path}</td>
                <td>${bytes(file.bytes)}</td>
                <td>${dateTimeMs(file.modified_at_ms)}</td>
                <td>
                  ${
                    file.produced_by
                      ? html`<a href=${link('responses', file.produced_by.response_id)}
                            >${file.produced_by.response_id}</a
                          >
                          <pre class="command-line">$ ${file.produced_by.command}</pre>
                          ${`${
                            file.produced_by.outcome.type === 'exit'
                              ? `exit ${file.produced_by.outcome.exit_code}`
                              : 'timed out'
                          } · ${duration(file.produced_by.duration_ms)}`}`
                      : file.source === 'user'
                        ? 'uploaded'
                        : 'no logged command'
                  }
                </td>
                <td><button onClick=${() => void download(file)}>Download</button></td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${files.value && files.value.data.length === 0 && html`<p>No files under /mnt/data.</p>`}
    </section>
  `;
}

// Sentences built as strings: htm drops whitespace that spans a line break in a template.
function limitsText(container: ContainerDetails): string {
  const { limits } = container;
  return (
    `${bytes(limits.memory_bytes)} memory (${container.memory_limit}), ${limits.cpus} CPU, ` +
    `${limits.pids} processes, ${bytes(limits.disk_bytes)} disk`
  );
}

function networkText(container: ContainerDetails): string {
  const policy = container.network_policy;
  if (!policy) return 'disabled';
  return policy.allowed_domains ? `${policy.type}: ${policy.allowed_domains.join(', ')}` : policy.type;
}
