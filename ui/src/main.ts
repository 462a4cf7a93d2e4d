import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, storeKey, storedKey, whenUnauthorized } from './api.js';
import { ContainerPage } from './container-page.js';
import { ContainersPage } from './containers-page.js';
import { ResponsePage } from './response-page.js';
import { ResponsesPage } from './responses-page.js';
import { link, useRoute } from './router.js';
import { SkillsPage } from './skills-page.js';

/**
 * Berth's dashboard: what every agent did, read with an API key through the same API clients use, so
 * it shows exactly one project — the key's.
 */
function App() {
  const [key, setKey] = useState(storedKey());
  const [refused, setRefused] = useState<string | undefined>();
  useEffect(
    () =>
      whenUnauthorized(() => {
        storeKey(null);
        setKey(null);
        setRefused('Berth refused that API key.');
      }),
    [],
  );
  if (!key) {
    return html`<${KeyForm}
      refused=${refused}
      onKey=${(entered: string) => {
        storeKey(entered);
        setRefused(undefined);
        setKey(entered);
      }}
    />`;
  }
  return html`
    <header>
      <strong>Berth</strong>
      <nav>
        <a href=${link('responses')}>Responses</a>
        <a href=${link('containers')}>Containers</a>
        <a href=${link('skills')}>Skills</a>
      </nav>
      <button
        onClick=${() => {
          storeKey(null);
          setKey(null);
        }}
      >
        Sign out
      </button>
    </header>
    <${Page} />
  `;
}

function Page() {
  const [section, id] = useRoute();
  if (section === 'responses' && id) return html`<${ResponsePage} key=${id} id=${id} />`;
  if (section === 'containers' && id) return html`<${ContainerPage} key=${id} id=${id} />`;
  if (section === 'containers') return html`<${ContainersPage} />`;
  if (section === 'skills') return html`<${SkillsPage} />`;
  return html`<${ResponsesPage} />`;
}

function KeyForm({ refused, onKey }: { refused: string | undefined; onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(refused);
  const submit = async (event: Event) => {
    event.preventDefault();
    const entered = value.trim();
    try {
      // Checked before it is kept: a key Berth refuses is said so here.
      await getJson('/ui/api/responses?limit=1', { headers: { authorization: `Bearer ${entered}` } });
      onKey(entered);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`
    <form class="key" onSubmit=${(event: Event) => void submit(event)}>
      <h1>Berth</h1>
      <p>
        ${"Enter an API key. The dashboard shows what that key's project did, and keeps the key for this tab only."}
      </p>
      <p class="hint">
        ${'While the server has no API keys (it then listens on loopback only), any text opens it.'}
      </p>
      <label>
        API key
        <input
          type="password"
          autocomplete="off"
          required
          value=${value}
          onInput=${(event: Event) => setValue((event.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Open</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>
  `;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
