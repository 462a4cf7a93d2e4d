// node --import tsx bench/chain-load.ts [--trees a,b] [--clients 200] [--seconds 15] [--warmup 3]
//   [--shell-share 0.1] [--driver runc] [--containers per-chain|per-response]
// Many clients chaining responses at once, some of them running shell commands: the latency every
// client sees (p50, p99, max), per tree. This is issue 13's "200 clients for 15 s" load. Each client
// keeps one chain going (`previous_response_id`), request after request; a share of them give the
// shell tool, so the scripted model answers their every turn with a command (`ls -la /mnt/data`) and
// then text. The rest chat.
// --containers per-chain (the default, what an agent does): a shell client's first response gets a
// `container_auto` container and its later ones name it (`container_reference`), so each shell
// client starts one sandbox. per-response (a stress of sandbox churn): every shell response gets a new
// `container_auto` container, which the client deletes after it, so sandboxes start and stop
// throughout (the warm pool refills as responses claim it), at a bounded number of live containers.
// Each tree is a checkout with `dist/` built; trees run one after the other on the same upstream.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeOpenAIResponsesUpstream } from '../test/support/fake-openai-responses-upstream.js';
import { stopProcess } from './child-process.js';
import { startBerthServe } from './gateway-setup.js';
import { percentile, postJson } from './load.js';

const { values } = parseArgs({
  options: {
    trees: { type: 'string', default: '.' },
    clients: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    settle: { type: 'string', default: '5' },
    'shell-share': { type: 'string', default: '0.1' },
    driver: { type: 'string', default: 'runc' },
    containers: { type: 'string', default: 'per-chain' },
  },
});
const trees = values.trees.split(',').map((tree) => resolve(tree));
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const shellClients = Math.round(clients * Number(values['shell-share']));
const perResponse = values.containers === 'per-response';
if (!perResponse && values.containers !== 'per-chain')
  throw new Error('--containers: per-chain or per-response');

const upstream = await startFakeOpenAIResponsesUpstream();
// Which turn answers a request depends on the request alone, so any number of clients can share the
// upstream: a shell client's request gets a shell call, and once its output is in, text.
upstream.replyWith((body) => {
  const request = body as { tools?: { type?: string }[]; input?: unknown };
  const wantsShell = request.tools?.some((tool) => tool.type === 'shell') === true;
  const input = Array.isArray(request.input) ? (request.input as { type?: string }[]) : [];
  const last = input.at(-1);
  if (wantsShell && last?.type !== 'shell_call_output')
    return { shellCalls: [{ commands: ['ls -la /mnt/data'] }] };
  return { text: 'Noted.', usage: { input: 20, output: 2 } };
});
setInterval(() => upstream.requests.splice(0), 1000).unref();

/** DELETE, reading the answer to its end. */
function remove(agent: Agent, target: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'DELETE' },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const results: string[] = [];
for (const tree of trees) {
  const directory = mkdtempSync(join(tmpdir(), 'berth-chain-load-'));
  const config = join(directory, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      providers: [{ name: 'oai', kind: 'openai', baseURL: upstream.baseURL, apiKey: 'bench', maxRetries: 0 }],
      sandbox: { driver: values.driver, maxContainersPerProject: shellClients + 10 },
    }),
  );
  const berth = await startBerthServe(tree, { config, dataDir: join(directory, 'data'), home: directory });
  const base = berth.url;
  const url = new URL(`${base}/responses`);
  // A server is up before its load comes: the start-up cleanup and the warm pool's first fill finish
  // first, as they would on a server that has been running.
  await new Promise((wake) => setTimeout(wake, Number(values.settle) * 1000));
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  const shellLatencies: number[] = [];
  /** per-chain: each shell chain's first response (it starts the chain's sandbox), window or not. */
  const firstShell: number[] = [];
  let errors = 0;
  let firstError = '';
  let measuring = false;
  let running = true;
  const client = async (shell: boolean) => {
    let previous: string | undefined;
    let container: string | undefined;
    let turn = 0;
    while (running) {
      turn += 1;
      const environment = container
        ? { type: 'container_reference', container_id: container }
        : { type: 'container_auto' };
      const body = JSON.stringify({
        model: 'oai/gpt-5',
        input: `Turn ${turn}: look at the files.`,
        ...(previous ? { previous_response_id: previous } : {}),
        ...(shell ? { tools: [{ type: 'shell', environment }] } : {}),
      });
      const started = performance.now();
      // Counted by when it started: a request still running when the window closes is waited for and
      // counted too, or the slowest ones would drop out of the figures.
      const counted = measuring;
      try {
        const answer = await postJson(agent, url, body);
        const elapsed = performance.now() - started;
        if (answer.status !== 200) {
          errors += counted ? 1 : 0;
          firstError ||= `${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`;
          previous = undefined;
          container = undefined;
          continue;
        }
        if (counted) (shell ? shellLatencies : latencies).push(elapsed);
        if (shell && !perResponse && container === undefined) firstShell.push(elapsed);
        const response = JSON.parse(answer.body.toString('utf8')) as {
          id: string;
          tools?: { environment?: { container_id?: string } }[];
        };
        previous = response.id;
        const containerId = response.tools?.[0]?.environment?.container_id;
        // per-response: the response made a container of its own: delete it, as a client done with
        // it would, so sandboxes keep being started (and stopped) throughout at a bounded count.
        if (shell && containerId && perResponse)
          await remove(agent, new URL(`${base}/containers/${containerId}`));
        else if (shell && containerId) container = containerId;
      } catch (error) {
        if (counted) errors += 1;
        firstError ||= String(error);
        previous = undefined;
        container = undefined;
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, (_, index) => client(index < shellClients)));
  await new Promise((wake) => setTimeout(wake, warmupSeconds * 1000));
  measuring = true;
  await new Promise((wake) => setTimeout(wake, seconds * 1000));
  measuring = false;
  running = false;
  await done;
  agent.destroy();
  await stopProcess(berth.child);
  rmSync(directory, { recursive: true, force: true });
  const figures = (label: string, values: number[]) => {
    return (
      `${label} ${values.length} (p50 ${percentile(values, 0.5).toFixed(0)} ms, ` +
      `p99 ${percentile(values, 0.99).toFixed(0)} ms, max ${percentile(values, 1).toFixed(0)} ms)`
    );
  };
  const all = [...latencies, ...shellLatencies];
  const line =
    `${tree}: ${figures('all', all)}; ${figures('chat', latencies)}; ${figures('shell', shellLatencies)}; ` +
    (perResponse ? '' : `${figures('first shell of each chain', firstShell)}; `) +
    `${Math.round(all.length / seconds)}/s, errors ${errors}${firstError ? ` (first: ${firstError})` : ''}`;
  console.log(line);
  results.push(line);
}
await upstream.close();
console.log(
  `\n${clients} clients (${shellClients} with the shell tool, driver ${values.driver}, a container ${perResponse ? 'per response' : 'per chain'}), ${seconds} s after ${warmupSeconds} s warm-up:`,
);
for (const line of results) console.log(line);
