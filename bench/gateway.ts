// npm run bench:gateway — Berth's added latency and throughput as a gateway, against the same requests
// sent straight to the upstream in the same run. See docs/benchmarks.md.
import { cpus } from 'node:os';
import { writeBenchmarkSection } from './benchmarks-doc.js';
import { startGatewayBench } from './gateway-setup.js';
import { percentile, runLoad, type LoadResult } from './load.js';

const quick = process.argv.includes('--quick');
const sequentialRequests = quick ? 300 : 3000;
const concurrentRequests = quick ? 3000 : 30000;
const warmupRequests = quick ? 200 : 2000;

const bench = await startGatewayBench('berth-bench-');
const upstreamURL = bench.upstreamURL;
const berthURL = (await bench.startBerth('.')).url;

interface Row {
  readonly mode: string;
  readonly concurrency: number;
  readonly direct: LoadResult;
  readonly berth: LoadResult;
}

const rows: Row[] = [];
try {
  for (const stream of [false, true]) {
    const body = (model: string) =>
      JSON.stringify({ model, input: 'Say hello in five words.', instructions: 'Be brief.', stream });
    const directBody = body('gpt-5');
    const berthBody = body('oai/gpt-5');
    // Warm both paths (JIT, connection pools, SQLite page cache) before measuring.
    await runLoad(`${upstreamURL}/responses`, directBody, 8, warmupRequests);
    await runLoad(`${berthURL}/responses`, berthBody, 8, warmupRequests);
    for (const [concurrency, total] of [
      [1, sequentialRequests],
      [64, concurrentRequests],
    ] as const) {
      const direct = await runLoad(`${upstreamURL}/responses`, directBody, concurrency, total);
      const viaBerth = await runLoad(`${berthURL}/responses`, berthBody, concurrency, total);
      rows.push({ mode: stream ? 'streaming' : 'non-streaming', concurrency, direct, berth: viaBerth });
    }
  }
} finally {
  await bench.close();
}

const format = (value: number) => value.toFixed(2);
const table = [
  '| mode | clients | direct p50 ms | Berth p50 ms | added p50 ms | direct p99 ms | Berth p99 ms | added p99 ms | Berth responses/s | direct responses/s | errors |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((row) => {
    const directP50 = percentile(row.direct.latenciesMs, 0.5);
    const berthP50 = percentile(row.berth.latenciesMs, 0.5);
    const directP99 = percentile(row.direct.latenciesMs, 0.99);
    const berthP99 = percentile(row.berth.latenciesMs, 0.99);
    return `| ${row.mode} | ${row.concurrency} | ${format(directP50)} | ${format(berthP50)} | ${format(berthP50 - directP50)} | ${format(directP99)} | ${format(berthP99)} | ${format(berthP99 - directP99)} | ${Math.round(row.berth.latenciesMs.length / row.berth.seconds)} | ${Math.round(row.direct.latenciesMs.length / row.direct.seconds)} | ${row.direct.errors + row.berth.errors} |`;
  }),
].join('\n');

const section = `## Gateway: \`POST /v1/responses\` through Berth vs. straight to the upstream

Reproduce: \`npm run bench:gateway\` (writes this section). Measured ${new Date().toISOString().slice(0, 10)} on
${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, SQLite store (every response stored).

Three processes on one machine: an instant loopback OpenAI Responses upstream, \`berth serve\` (from
\`dist/\`) configured with it as provider \`oai\`, and the load generator (keep-alive HTTP/1.1, every
body read to its end). "Direct" sends the same request to the upstream; "added" is Berth's p50/p99
minus the direct one. ${sequentialRequests} requests at 1 client and ${concurrentRequests} at 64, after ${warmupRequests} warm-up requests per path.

${table}
`;
console.log(section);
if (!quick) writeBenchmarkSection('docs/benchmarks.md', 'gateway', section);
