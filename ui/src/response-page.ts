import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { followEvents, getAll, getJson } from './api.js';
import { dateTime, duration, secondsBetween } from './format.js';
import { link } from './router.js';

type Item = Record<string, unknown> & { type?: string; id?: string };

interface ResponseBody {
  readonly id: string;
  readonly status: string;
  readonly model: string;
  readonly created_at: number;
  readonly completed_at?: number | null;
  readonly background?: boolean | null;
  readonly instructions?: unknown;
  readonly previous_response_id?: string | null;
  readonly error?: { message?: string } | null;
  readonly incomplete_details?: { reason?: string } | null;
  readonly usage?: {
    input_tokens: number;
    output_tokens: number;
    input_tokens_details?: { cached_tokens?: number };
  } | null;
  readonly output: Item[];
}

/** One entry of `GET /v1/responses/{id}/tool_calls`. */
interface ToolCall {
  readonly call_id: string;
  readonly command_index: number;
  readonly command: string;
  readonly container_id: string;
  readonly session: string;
  readonly duration_ms: number;
  readonly outcome: { type: 'exit'; exit_code: number } | { type: 'timeout' };
}

interface Timeline {
  readonly response: ResponseBody;
  readonly input: Item[];
  readonly toolCalls: ToolCall[];
}

const running = (status: string) => status === 'queued' || status === 'in_progress';

/** How often a running response without a stream to follow is read again. */
const pollMs = 2000;

/**
 * Events after which the timeline is read again: an item or a part done, and the response's own
 * lifecycle. Deltas are not: the reads come at most one at a time anyway, and a delta changes
 * nothing the stored response shows until its item is done.
 */
function changesTimeline(type: string): boolean {
  return (
    type.endsWith('.done') ||
    /^response\.(created|queued|in_progress|completed|failed|incomplete|cancelled)$/.test(type)
  );
}

async function loadTimeline(id: string): Promise<Timeline> {
  const path = `/v1/responses/${encodeURIComponent(id)}`;
  const [response, input, toolCalls] = await Promise.all([
    getJson<ResponseBody>(path),
    getAll<Item>(`${path}/input_items?order=asc`),
    getAll<ToolCall>(`${path}/tool_calls?order=asc`),
  ]);
  return { response, input, toolCalls };
}

/**
 * One response from prompt to answer: its input, then each model turn's items in order — reasoning,
 * text, each shell command with its output, exit code, duration and container — and the points where
 * the context was compacted. A running response is followed live over its event stream.
 */
export function ResponsePage({ id }: { id: string }) {
  const [timeline, setTimeline] = useState<Timeline | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState<string | undefined>();

  useEffect(() => {
    let current = true;
    const controller = new AbortController();
    let latest: Promise<Timeline> | undefined;
    let again = false;
    // Events come fast; reads are coalesced: one at a time, and one more if any came meanwhile.
    const refresh = (): Promise<Timeline> => {
      if (latest) {
        again = true;
        return latest;
      }
      latest = loadTimeline(id)
        .finally(() => {
          latest = undefined;
          if (again) {
            again = false;
            refresh().catch(() => undefined);
          }
        })
        .then((loaded) => {
          if (current) setTimeline(loaded);
          return loaded;
        });
      return latest;
    };
    const follow = async () => {
      const first = await refresh();
      if (!running(first.response.status)) return;
      try {
        // Replayed from the start, then live: every item that completes shows up as it does.
        await followEvents(
          `/v1/responses/${encodeURIComponent(id)}?stream=true`,
          (type) => {
            if (!current) return;
            setLive(type);
            if (changesTimeline(type)) refresh().catch(() => undefined);
          },
          controller.signal,
        );
      } catch {
        // No recorded stream (a plain foreground response): the reads below follow it instead.
      }
      if (current) setLive(undefined);
      // The stream ended (or there was none) but the response may still run (a stream closed early,
      // a replay of what was recorded so far): read it again every 2 s until it ends.
      await latest;
      while (current && running((await refresh()).response.status)) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    };
    follow().catch((failure: Error) => current && setError(failure.message));
    return () => {
      current = false;
      controller.abort();
    };
  }, [id]);

  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!timeline) return html`<p>Loading ${id}…</p>`;
  const { response, input, toolCalls } = timeline;
  const usage = response.usage;
  return html`
    <section>
      <h1>${response.id}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class=${`status ${response.status}`} data-testid="response-status">${response.status}</span>
          ${live && html` <span class="live">live: ${live}</span>`}
        </dd>
        <dt>Model</dt>
        <dd>${response.model}</dd>
        <dt>Created</dt>
        <dd>${dateTime(response.created_at)}</dd>
        <dt>Took</dt>
        <dd>${secondsBetween(response.created_at, response.completed_at)}</dd>
        <dt>Tokens</dt>
        <dd>
          ${
            usage
              ? `${usage.input_tokens} in (${usage.input_tokens_details?.cached_tokens ?? 0} cached), ${usage.output_tokens} out`
              : '—'
          }
        </dd>
        ${
          response.previous_response_id &&
          html`<dt>Continues</dt>
            <dd>
              <a href=${link('responses', response.previous_response_id)}>${response.previous_response_id}</a>
            </dd>`
        }
        ${
          response.error?.message &&
          html`<dt>Error</dt>
            <dd class="error">${response.error.message}</dd>`
        }
        ${
          response.incomplete_details?.reason &&
          html`<dt>Incomplete</dt>
            <dd>${response.incomplete_details.reason}</dd>`
        }
      </dl>
      <ol class="timeline">
        ${
          typeof response.instructions === 'string' &&
          html`<li class="entry instructions">
            <h2>Instructions</h2>
            <pre>${response.instructions}</pre>
          </li>`
        }
        <li class="entry input">
          <h2>Input</h2>
          ${input.map((item) => html`<${ItemView} item=${item} />`)}
        </li>
        ${turns(response.output).map(
          (turn, index) =>
            html`<li class="entry turn">
              <h2>Model turn ${index + 1}</h2>
              ${turn.map((item) => html`<${OutputItem} item=${item} output=${response.output} toolCalls=${toolCalls} />`)}
            </li>`,
        )}
      </ol>
    </section>
  `;
}

/** Output items cut into model turns: a turn ends with the outputs of the tools it called. */
function turns(output: Item[]): Item[][] {
  const result: Item[][] = [];
  let turn: Item[] = [];
  let afterToolOutput = false;
  for (const item of output) {
    const isToolOutput = typeof item.type === 'string' && item.type.endsWith('_output');
    if (afterToolOutput && !isToolOutput && turn.length > 0) {
      result.push(turn);
      turn = [];
    }
    turn.push(item);
    afterToolOutput = isToolOutput;
  }
  if (turn.length > 0) result.push(turn);
  return result;
}

function textOf(item: Item): string {
  const content = item['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n');
}

function ItemView({ item }: { item: Item }) {
  if (item.type === 'message' || (item.type === undefined && 'role' in item)) {
    return html`<div class="message">
      <span class="role">${typeof item['role'] === 'string' ? item['role'] : 'message'}</span>
      <p>${textOf(item)}</p>
    </div>`;
  }
  return html`<details class="item">
    <summary>${item.type ?? 'item'}</summary>
    <pre>${JSON.stringify(item, null, 2)}</pre>
  </details>`;
}

function OutputItem({ item, output, toolCalls }: { item: Item; output: Item[]; toolCalls: ToolCall[] }) {
  switch (item.type ?? '') {
    case 'reasoning': {
      const summary = (item['summary'] as { text?: string }[] | undefined) ?? [];
      return html`<div class="reasoning">
        <span class="role">reasoning</span>
        <p>${summary.map((part) => part.text ?? '').join('\n') || '(no summary)'}</p>
      </div>`;
    }
    case 'compaction':
      return html`<div class="compaction" role="note">The context was compacted here.</div>`;
    case 'shell_call':
      return html`<${ShellCall} item=${item} output=${output} toolCalls=${toolCalls} />`;
    case 'shell_call_output':
      // Shown with its call, unless the call is not in this response.
      return output.some((other) => other.type === 'shell_call' && other['call_id'] === item['call_id'])
        ? null
        : html`<${ItemView} item=${item} />`;
    default:
      return html`<${ItemView} item=${item} />`;
  }
}

interface ShellOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly outcome: { type: string; exit_code?: number };
}

function ShellCall({ item, output, toolCalls }: { item: Item; output: Item[]; toolCalls: ToolCall[] }) {
  const callId = item['call_id'];
  const commands = (item['action'] as { commands?: string[] } | undefined)?.commands ?? [];
  const result = output.find((other) => other.type === 'shell_call_output' && other['call_id'] === callId);
  const outputs = (result?.['output'] as ShellOutput[] | undefined) ?? [];
  return html`<div class="shell-call">
    ${commands.map((command, index) => {
      const logged = toolCalls.find((call) => call.call_id === callId && call.command_index === index);
      const ran = outputs[index];
      const outcome: { type: string; exit_code?: number } | undefined = logged?.outcome ?? ran?.outcome;
      return html`<div class="command" data-testid="command">
        <pre class="command-line">$ ${command}</pre>
        <p class="command-facts">
          ${
            outcome
              ? outcome.type === 'timeout'
                ? html`<span class="status failed">timed out</span>`
                : html`<span class=${`status ${outcome.exit_code === 0 ? 'completed' : 'failed'}`}
                    >exit ${outcome.exit_code}</span
                  >`
              : html`<span class="status in_progress">running</span>`
          }
          ${
            // Spaces as strings: htm drops whitespace that spans a line break.
            logged &&
            html`${` · ${duration(logged.duration_ms)} · container `}<a
                href=${link('containers', logged.container_id)}
                >${logged.container_id}</a
              >${` · session ${logged.session}`}`
          }
        </p>
        ${ran?.stdout && html`<pre class="stdout">${ran.stdout}</pre>`}
        ${ran?.stderr && html`<pre class="stderr">${ran.stderr}</pre>`}
      </div>`;
    })}
  </div>`;
}
