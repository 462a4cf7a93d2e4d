import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type List } from './api.js';
import { dateTime, secondsBetween } from './format.js';
import { link } from './router.js';

/** A row of `GET /ui/api/responses`. */
export interface ResponseSummary {
  readonly id: string;
  readonly status: string;
  readonly model: string | null;
  readonly created_at: number;
  readonly completed_at: number | null;
  readonly background: boolean;
  readonly usage: { input_tokens: number; cached_tokens: number; output_tokens: number } | null;
  readonly error: string | null;
  readonly input_preview: string;
  readonly output_preview: string;
}

const statuses = ['', 'queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete'];
/** Rows a page of the list asks for. */
const pageSize = 50;
/** While a listed response is still running, the list is read again this often. */
const refreshMs = 3000;

export function ResponsesPage() {
  const [status, setStatus] = useState('');
  const [model, setModel] = useState('');
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState({ status: '', model: '', search: '' });
  const [rows, setRows] = useState<ResponseSummary[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [round, setRound] = useState(0);

  // How many rows are shown, for a refresh to read as many again (at most one page of 100).
  const shown = useRef(0);
  shown.current = rows.length;

  const query = (after?: string, limit = pageSize) => {
    const parameters = new URLSearchParams({ limit: String(limit) });
    if (applied.status) parameters.set('status', applied.status);
    if (applied.model) parameters.set('model', applied.model);
    if (applied.search) parameters.set('q', applied.search);
    if (after) parameters.set('after', after);
    return `/ui/api/responses?${parameters.toString()}`;
  };

  useEffect(() => {
    let current = true;
    getJson<List<ResponseSummary>>(query(undefined, Math.min(100, Math.max(pageSize, shown.current)))).then(
      (page) => {
        if (!current) return;
        setRows(page.data);
        setHasMore(page.has_more);
        setError(undefined);
      },
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [applied, round]);

  // Live: running responses change status; read the list again until none is left running (while
  // the list is one page: past 100 rows it stays as loaded).
  const running = rows.some((row) => row.status === 'queued' || row.status === 'in_progress');
  useEffect(() => {
    if (!running || rows.length > 100) return;
    const timer = setTimeout(() => setRound((count) => count + 1), refreshMs);
    return () => clearTimeout(timer);
  }, [running, rows]);

  const more = async () => {
    try {
      const page = await getJson<List<ResponseSummary>>(query(rows.at(-1)?.id));
      setRows((before) => [
        ...before,
        ...page.data.filter((row) => !before.some((seen) => seen.id === row.id)),
      ]);
      setHasMore(page.has_more);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return html`
    <section>
      <h1>Responses</h1>
      <form
        class="filters"
        role="search"
        onSubmit=${(event: Event) => {
          event.preventDefault();
          setApplied({ status, model: model.trim(), search: search.trim() });
        }}
      >
        <label>
          Status
          <select
            value=${status}
            onChange=${(event: Event) => setStatus((event.target as HTMLSelectElement).value)}
          >
            ${statuses.map((name) => html`<option value=${name}>${name || 'any'}</option>`)}
          </select>
        </label>
        <label>
          Model
          <input
            value=${model}
            placeholder="provider/model"
            onInput=${(event: Event) => setModel((event.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Search
          <input
            type="search"
            value=${search}
            placeholder="text, id…"
            onInput=${(event: Event) => setSearch((event.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Apply</button>
      </form>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <table>
        <thead>
          <tr>
            <th>Response</th>
            <th>Status</th>
            <th>Model</th>
            <th>Asked</th>
            <th>Tokens in / cached / out</th>
            <th>Created</th>
            <th>Took</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (row) =>
              html`<tr>
                <td><a href=${link('responses', row.id)}>${row.id}</a></td>
                <td><span class=${`status ${row.status}`}>${row.status}</span></td>
                <td>${row.model ?? '—'}</td>
                <td class="preview">${row.input_preview}</td>
                <td>
                  ${
                    row.usage
                      ? `${row.usage.input_tokens} / ${row.usage.cached_tokens} / ${row.usage.output_tokens}`
                      : '—'
                  }
                </td>
                <td>${dateTime(row.created_at)}</td>
                <td>${secondsBetween(row.created_at, row.completed_at)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${rows.length === 0 && !error && html`<p>No responses match.</p>`}
      ${hasMore && html`<button onClick=${() => void more()}>Load more</button>`}
    </section>
  `;
}
