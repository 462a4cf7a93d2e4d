// npm run bench:upstream-client — what the official `openai` client costs per upstream call, against a
// bare node:http POST of the same request, both to the same instant loopback upstream in this process.
// It explains most of what Berth adds in the gateway benchmark. See docs/benchmarks.md.
import { Agent } from 'node:http';
import { cpus } from 'node:os';
import OpenAI from 'openai';
import { startFakeOpenAIResponsesUpstream } from '../test/support/fake-openai-responses-upstream.js';
import { writeBenchmarkSection } from './benchmarks-doc.js';
import { postJson } from './load.js';

const calls = process.argv.includes('--quick') ? 300 : 3000;
const upstream = await startFakeOpenAIResponsesUpstream();
const client = new OpenAI({ baseURL: upstream.baseURL, apiKey: 'bench', maxRetries: 0 });
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const target = new URL(`${upstream.baseURL}/responses`);
const body = JSON.stringify({ model: 'gpt-5', input: 'Say hello in five words.', store: false });

async function barePost(): Promise<void> {
  const answer = await postJson(agent, target, body);
  JSON.parse(answer.body.toString('utf8'));
}

async function perCallMs(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < calls; index += 1) {
    await call();
    upstream.requests.length = 0;
  }
  return (performance.now() - started) / calls;
}

const sdkCall = () =>
  client.responses.create({ model: 'gpt-5', input: 'Say hello in five words.', store: false });
// Warm up both paths, then take the best of three rounds of each (the least disturbed by the machine).
await perCallMs(sdkCall);
await perCallMs(barePost);
const sdk: number[] = [];
const bare: number[] = [];
for (let round = 0; round < 3; round += 1) {
  sdk.push(await perCallMs(sdkCall));
  bare.push(await perCallMs(barePost));
}
await upstream.close();
agent.destroy();

const best = (values: number[]) => Math.min(...values);
const section = `## Upstream client: the official \`openai\` client vs. a bare HTTP POST

Reproduce: \`npm run bench:upstream-client\` (writes this section). Measured ${new Date().toISOString().slice(0, 10)} on
${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}.

One process, one instant loopback OpenAI Responses upstream, ${calls} sequential non-streaming calls per round, best
of three rounds: \`client.responses.create\` against a keep-alive \`node:http\` POST of the same body whose JSON
answer is parsed.

| path | ms per call |
|---|---|
| official \`openai\` client | ${best(sdk).toFixed(3)} |
| bare \`node:http\` POST | ${best(bare).toFixed(3)} |
| client overhead | ${(best(sdk) - best(bare)).toFixed(3)} |
`;
console.log(section);
if (!process.argv.includes('--quick'))
  writeBenchmarkSection('docs/benchmarks.md', 'upstream-client', section);
