import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getAll } from './api.js';
import { dateTime } from './format.js';
import { link } from './router.js';
import { useLoad } from './use-load.js';

/** The Container object of `/v1/containers`. */
export interface Container {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly created_at: number;
  readonly last_active_at: number;
  readonly memory_limit: string;
  readonly expires_after: { anchor: string; minutes: number };
  readonly network_policy?: { type: string; allowed_domains?: string[] };
}

/** The project's containers, newest first, narrowed by a filter on name, id and status. */
export function ContainersPage() {
  const containers = useLoad(() => getAll<Container>('/v1/containers?order=desc'), []);
  const [filter, setFilter] = useState('');
  const wanted = filter.trim().toLowerCase();
  const shown = (containers.value ?? []).filter(
    (container) =>
      wanted === '' ||
      [container.id, container.name, container.status].some((field) => field.toLowerCase().includes(wanted)),
  );
  return html`
    <section>
      <h1>Containers</h1>
      <form class="filters" role="search" onSubmit=${(event: Event) => event.preventDefault()}>
        <label>
          Filter
          <input
            type="search"
            value=${filter}
            placeholder="name, id or status"
            onInput=${(event: Event) => setFilter((event.target as HTMLInputElement).value)}
          />
        </label>
      </form>
      ${containers.error && html`<p class="error" role="alert">${containers.error}</p>`}
      <table>
        <thead>
          <tr>
            <th>Container</th>
            <th>Name</th>
            <th>Status</th>
            <th>Memory</th>
            <th>Network</th>
            <th>Last active</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (container) =>
              html`<tr>
                <td><a href=${link('containers', container.id)}>${container.id}</a></td>
                <td>${container.name}</td>
                <td><span class=${`status ${container.status}`}>${container.status}</span></td>
                <td>${container.memory_limit}</td>
                <td>${container.network_policy?.type ?? 'disabled'}</td>
                <td>${dateTime(container.last_active_at)}</td>
                <td>${expiry(container)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${containers.value && shown.length === 0 && html`<p>No containers match.</p>`}
    </section>
  `;
}

export function expiry(container: Container): string {
  if (container.status === 'expired' || container.status === 'deleted') return container.status;
  return dateTime(container.last_active_at + container.expires_after.minutes * 60);
}
