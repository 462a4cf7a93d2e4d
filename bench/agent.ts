// npm run bench:agent — Berth's own time per hosted shell round trip (model turn → command in a
// container → output back to the model), with the model's time taken out, for 1, 10 and 50 calls per
// response, streaming or not, and along a chain of 200 responses; against the exec endpoint and a
// response without tools in the same run. Needs a sandbox driver (root for runc). See
// docs/benchmarks.md. Flags: --quick (a smoke run, not written to the doc), --driver=runc|runsc|bwrap,
// --profile (the Berth process writes a V8 CPU profile to $TMPDIR/berth-bench-agent-profile/).
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { writeBenchmarkSection } from './benchmarks-doc.js';
import { BenchChild, type BerthMessage, type UpstreamMessage } from './agent-ipc.js';
import { AgentProbe, type ResponseSample } from './agent-probe.js';
import { formatAgentSection, type AgentFigures, type Mode } from './agent-report.js';

const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
const driver = process.argv.find((argument) => argument.startsWith('--driver='))?.slice(9) ?? 'auto';
const callCounts = [1, 10, 50] as const;
/** Responses of each kind per round; rounds interleave every kind, so drift touches them alike. */
const perRound: Record<0 | (typeof callCounts)[number], number> = { 0: 5, 1: 5, 10: 2, 50: 1 };
/** Responses per round with one call and a last turn without text. */
const textlessPerRound = 5;
const sizes = quick
  ? { rounds: 3, warmupRounds: 1, execsPerRound: 10, chainDepth: 20, branchPairs: 5 }
  : { rounds: 30, warmupRounds: 3, execsPerRound: 20, chainDepth: 200, branchPairs: 30 };
const command = { line: 'echo ok', stdout: 'ok\n' };
const modes: readonly Mode[] = ['non-streaming', 'streaming'];

const profileDir = join(tmpdir(), 'berth-bench-agent-profile');
const upstream = BenchChild.start<UpstreamMessage>('bench/agent-upstream.ts', []);
const { url: upstreamURL } = await upstream.request('ready');
const berth = BenchChild.start<BerthMessage>(
  'bench/agent-berth.ts',
  [driver, upstreamURL],
  profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
);
const ready = await berth.request('ready');
// Ctrl-C reaches every process of the group; Berth removes its containers itself, so wait for it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void berth.exited().finally(() => process.exit(130)));
}

const client = new OpenAI({ baseURL: ready.url, apiKey: 'bench', maxRetries: 0 });
const loadAtStart = loadavg()[0] ?? 0;
let figures: AgentFigures;
const container = await client.containers.create({ name: 'bench-agent' });
try {
  const probe = new AgentProbe(client, upstream, berth, container.id, command);
  const empty = (): Record<Mode, ResponseSample[]> => ({ 'non-streaming': [], streaming: [] });
  const byCalls = {
    0: empty(),
    1: empty(),
    10: empty(),
    50: empty(),
  } satisfies Record<keyof typeof perRound, Record<Mode, ResponseSample[]>>;
  const textless = empty();
  const execs: number[] = [];

  const started = process.hrtime.bigint();
  for (let round = 0; round < sizes.warmupRounds + sizes.rounds; round++) {
    const measured = round >= sizes.warmupRounds;
    for (let index = 0; index < sizes.execsPerRound; index++) {
      const wallMs = await probe.exec();
      if (measured) execs.push(wallMs);
    }
    for (const mode of modes) {
      for (let index = 0; index < textlessPerRound; index++) {
        const sample = await probe.response({ calls: 1, stream: mode === 'streaming', textAnswer: false });
        if (measured) textless[mode].push(sample);
      }
      for (const calls of [0, ...callCounts] as const) {
        for (let index = 0; index < perRound[calls]; index++) {
          const sample = await probe.response({ calls, stream: mode === 'streaming' });
          if (measured) byCalls[calls][mode].push(sample);
        }
      }
    }
    console.error(`round ${round + 1}/${sizes.warmupRounds + sizes.rounds}`);
  }
  const loopSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  const chains = empty();
  const pairs = () => ({ shallow: [] as ResponseSample[], deep: [] as ResponseSample[] });
  const branches: Record<Mode, Record<'answered' | 'textless', ReturnType<typeof pairs>>> = {
    'non-streaming': { answered: pairs(), textless: pairs() },
    streaming: { answered: pairs(), textless: pairs() },
  };
  for (const mode of modes) {
    const stream = mode === 'streaming';
    const chain = chains[mode];
    for (let depth = 1; depth <= sizes.chainDepth; depth++) {
      const previousResponseId = chain.at(-1)?.responseId;
      chain.push(
        await probe.response({ calls: 1, stream, ...(previousResponseId ? { previousResponseId } : {}) }),
      );
    }
    // Then responses at exactly depth 2 and exactly the full depth, branching off the chain's first and
    // next-to-last responses, in alternation: a pair shares the machine's state of the moment.
    const [first, nextToLast] = [chain[0]?.responseId, chain.at(-2)?.responseId];
    // The same without text in the last turn: without the file listing that starts a text answer,
    // which costs as much as everything else in a response, what grows with depth stands out.
    for (let pair = 0; pair < sizes.branchPairs; pair++) {
      for (const textAnswer of [true, false]) {
        const branch = branches[mode][textAnswer ? 'answered' : 'textless'];
        branch.shallow.push(
          await probe.response({ calls: 1, stream, textAnswer, previousResponseId: first ?? '' }),
        );
        branch.deep.push(
          await probe.response({ calls: 1, stream, textAnswer, previousResponseId: nextToLast ?? '' }),
        );
      }
    }
    console.error(`chain of ${sizes.chainDepth} (${mode}) done`);
  }

  figures = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    driver: ready.driver,
    load: [loadAtStart, loadavg()[0] ?? 0],
    sizes: { ...sizes, perRound, textlessPerRound },
    command: command.line,
    loopSeconds,
    execs,
    noTools: byCalls[0],
    textless,
    byCalls: { 1: byCalls[1], 10: byCalls[10], 50: byCalls[50] },
    chains,
    branches,
  };
} finally {
  await client.containers.delete(container.id).catch((error: unknown) => console.error(error));
  const { forced } = await berth.request('closed', { type: 'close' });
  if (forced.length > 0) console.error(`cleanup had to force:\n  ${forced.join('\n  ')}`);
  upstream.process.disconnect();
  await Promise.all([berth.exited(), upstream.exited()]);
}

if (profile) console.error(`Berth's CPU profile is in ${profileDir}/ (open it in Chrome DevTools)`);
const section = formatAgentSection(figures);
console.log(section);
if (!quick && driver === 'auto' && !profile) writeBenchmarkSection('docs/benchmarks.md', 'agent', section);
