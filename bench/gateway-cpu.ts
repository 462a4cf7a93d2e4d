// node --import tsx bench/gateway-cpu.ts [--trees a,b] [--rounds 5] [--requests 5000] [--warmup 2000]
//   [--concurrency 8] [--modes stream,json] [--cpu-prof DIR]
// CPU seconds `berth serve` spends per 10,000 responses, not wall-clock throughput: on a shared machine
// other processes change the responses/s a run measures, but not how much CPU Berth spends on each.
// Each tree (a checkout with a built dist/ and bin/berth.js) runs its own `berth serve` against one
// instant upstream; bursts of requests alternate between them and the medians are printed at the end.
// --cpu-prof writes each server's V8 CPU profile (on exit) for a self-time comparison.
// A tree written `DIR+otlp` runs with tracing on, exporting to a loopback OTLP sink in this process
// (what tracing costs: compare `DIR` and `DIR+otlp`).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startGatewayBench } from './gateway-setup.js';
import { runLoad } from './load.js';

const { values } = parseArgs({
  options: {
    trees: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    modes: { type: 'string', default: 'stream,json' },
    'cpu-prof': { type: 'string' },
  },
});
const trees = values.trees
  .split(',')
  .map((tree) =>
    tree.endsWith('+otlp') ? `${resolve(tree.slice(0, -'+otlp'.length))}+otlp` : resolve(tree),
  );
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);
const modes = values.modes.split(',');

// utime + stime of a process, in seconds (Linux /proc; fields 14 and 15 after the command name).
const ticksPerSecond = 100;
// `/proc/PID/task/PID/stat` is the main thread alone: JavaScript, and what the rest (GC helpers, the
// libuv pool) costs is the difference.
function cpuSeconds(pid: number, thread?: 'main'): number {
  const stat = readFileSync(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** A loopback OTLP/HTTP endpoint that takes every export and keeps only counts. */
let sink: { endpoint: string; exports: number; bytes: number; close: () => void } | undefined;
async function otlpSink(): Promise<{ endpoint: string }> {
  if (sink) return sink;
  const counts = { exports: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (counts.bytes += chunk.length));
    request.on('end', () => {
      counts.exports += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  sink = {
    endpoint: `http://127.0.0.1:${port}`,
    get exports() {
      return counts.exports;
    },
    get bytes() {
      return counts.bytes;
    },
    close: () => server.close(),
  };
  return sink;
}

// No sandbox: a warm pool starting containers would spend the server's CPU on something else.
const bench = await startGatewayBench('berth-cpu-bench-', { sandbox: { driver: 'none' } });

const results = new Map<string, number[]>();
const mainThread = new Map<string, number[]>();
// Every tree's server runs for the whole measurement and the bursts alternate (a, b, a, b, …), so a
// change in the machine's load falls on both trees alike.
const servers: { tree: string; child: ChildProcess; url: string }[] = [];
try {
  for (const [index, tree] of trees.entries()) {
    const profile = values['cpu-prof']
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${resolve(values['cpu-prof'])}`,
          `--cpu-prof-name=${basename(tree)}-${index}.cpuprofile`,
        ]
      : [];
    const traced = tree.endsWith('+otlp');
    const environment = traced ? { OTEL_EXPORTER_OTLP_ENDPOINT: (await otlpSink()).endpoint } : {};
    const berth = await bench.startBerth(traced ? tree.slice(0, -'+otlp'.length) : tree, {
      dataName: `data-${index}`,
      nodeArgs: profile,
      environment,
    });
    servers.push({ tree, child: berth.child, url: `${berth.url}/responses` });
  }
  for (const mode of modes) {
    const body = JSON.stringify({
      model: 'oai/gpt-5',
      input: 'Say hello in five words.',
      instructions: 'Be brief.',
      stream: mode === 'stream',
    });
    for (const server of servers) await runLoad(server.url, body, concurrency, warmup);
    for (let round = 0; round < rounds; round += 1) {
      // The order flips every round (a, b, b, a, a, b, …), so neither tree always runs right after the other.
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const pid = server.child.pid ?? 0;
        const before = cpuSeconds(pid);
        const mainBefore = cpuSeconds(pid, 'main');
        const load = await runLoad(server.url, body, concurrency, requests);
        const per10k = ((cpuSeconds(pid) - before) * 10000) / requests;
        const mainPer10k = ((cpuSeconds(pid, 'main') - mainBefore) * 10000) / requests;
        const key = `${server.tree} ${mode}`;
        results.set(key, [...(results.get(key) ?? []), per10k]);
        const mainKey = `${key} (main thread)`;
        mainThread.set(mainKey, [...(mainThread.get(mainKey) ?? []), mainPer10k]);
        console.log(
          `round ${round + 1} ${key}: ${per10k.toFixed(2)} CPU s per 10k responses, ` +
            `${mainPer10k.toFixed(2)} on the main thread ` +
            `(${Math.round(requests / load.seconds)}/s wall, ${load.errors} errors)`,
        );
      }
    }
  }
} finally {
  await bench.close();
  sink?.close();
}

if (sink) console.log(`\nthe OTLP sink received ${sink.exports} exports, ${sink.bytes} bytes`);

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
console.log(
  `\nmedian CPU s per 10k responses (${rounds} rounds, ${requests} requests, ${concurrency} clients)`,
);
for (const [key, samples] of [...results, ...mainThread]) {
  console.log(
    `${key}: ${median(samples).toFixed(2)}  [${samples.map((sample) => sample.toFixed(2)).join(', ')}]`,
  );
}
// The machine's load drifts over seconds, moving whole rounds up or down together; the ratio of each
// tree to the first tree within one round cancels most of that drift. Medians of those ratios, with
// the middle half of them in brackets: the figure to compare trees by.
if (trees.length > 1) {
  console.log(`\neach tree against ${trees[0]} in the same round (median ratio [quartiles])`);
  for (const mode of modes) {
    const baseline = results.get(`${trees[0]} ${mode}`) ?? [];
    for (const tree of trees.slice(1)) {
      const ratios = (results.get(`${tree} ${mode}`) ?? []).map(
        (value, round) => value / (baseline[round] ?? NaN),
      );
      const sorted = [...ratios].sort((a, b) => a - b);
      const quartile = (q: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      console.log(
        `${tree} ${mode}: ${median(ratios).toFixed(3)} [${quartile(0.25).toFixed(3)}, ${quartile(0.75).toFixed(3)}]`,
      );
    }
  }
}
