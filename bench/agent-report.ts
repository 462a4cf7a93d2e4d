import type { ResponseSample } from './agent-probe.js';
import { percentile } from './load.js';

export type Mode = 'non-streaming' | 'streaming';

/** Everything one run of bench:agent measured, and what it needs to say how. */
export interface AgentFigures {
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  /** What the server said about its sandbox driver. */
  readonly driver: string;
  /** The 1-minute load average when the run started and when it ended. */
  readonly load: readonly [number, number];
  readonly sizes: {
    readonly rounds: number;
    readonly warmupRounds: number;
    readonly execsPerRound: number;
    readonly chainDepth: number;
    /** Responses at depth 2 and at the full depth, alternating. */
    readonly branchPairs: number;
    readonly perRound: Readonly<Record<number, number>>;
    readonly textlessPerRound: number;
  };
  readonly command: string;
  /** How long the interleaved rounds took. */
  readonly loopSeconds: number;
  /** Client wall time of the command through `POST /v1/containers/{id}/exec`. */
  readonly execs: readonly number[];
  /** Responses with one call whose last turn has no text, so no citation listing starts. */
  readonly textless: Readonly<Record<Mode, readonly ResponseSample[]>>;
  /** Responses without tools: one model turn. */
  readonly noTools: Readonly<Record<Mode, readonly ResponseSample[]>>;
  readonly byCalls: Readonly<Record<1 | 10 | 50, Readonly<Record<Mode, readonly ResponseSample[]>>>>;
  /** One chain per mode, oldest first: response k continues from response k − 1. */
  readonly chains: Readonly<Record<Mode, readonly ResponseSample[]>>;
  /**
   * Responses branching off a chain at depth 2 and at its full depth, in alternation; answering with
   * text as every other response does, or with a last turn without text.
   */
  readonly branches: Readonly<Record<Mode, Readonly<Record<'answered' | 'textless', BranchSamples>>>>;
}

export interface BranchSamples {
  readonly shallow: readonly ResponseSample[];
  readonly deep: readonly ResponseSample[];
}

/** The round-trip target from the issue, in ms of Berth time. */
export const roundTripTargetMs = 5;
/** The chain target: depth ≈ 200 at most this many times slower per turn than depth ≈ 2. */
export const chainTargetRatio = 2;

const modes: readonly Mode[] = ['non-streaming', 'streaming'];

interface Summary {
  readonly p50: number;
  readonly p90: number;
  readonly mean: number;
  readonly count: number;
}

function summarize(values: readonly number[]): Summary {
  const mean = values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  return { p50: percentile(values, 0.5), p90: percentile(values, 0.9), mean, count: values.length };
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '–');
const three = (summary: Summary) => `${ms(summary.p50)} / ${ms(summary.p90)} / ${ms(summary.mean)}`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');

/** Berth time per shell round trip with the response's own overhead spread over its calls. */
const allInPerCall = (samples: readonly ResponseSample[], calls: number) =>
  summarize(samples.map((sample) => sample.berthMs / calls));
const inLoop = (samples: readonly ResponseSample[]) =>
  summarize(samples.flatMap((sample) => sample.roundTripsMs));
/** What the response costs besides its round trips: the client's request, the first and last turns. */
const outsideLoop = (samples: readonly ResponseSample[]) =>
  summarize(samples.map((sample) => sample.berthMs - sample.roundTripsMs.reduce((sum, gap) => sum + gap, 0)));

const median = (values: readonly number[]) => percentile(values, 0.5);

export function formatAgentSection(figures: AgentFigures): string {
  const { sizes } = figures;
  const callCounts = [1, 10, 50] as const;
  const kinds = [
    { calls: 1, textAnswer: true },
    { calls: 1, textAnswer: false },
    ...callCounts.slice(1).map((calls) => ({ calls, textAnswer: true })),
  ];
  const rows = modes.flatMap((mode) =>
    kinds.map(({ calls, textAnswer }) => {
      const samples = textAnswer ? figures.byCalls[calls as 1 | 10 | 50][mode] : figures.textless[mode];
      return {
        mode,
        calls,
        textAnswer,
        label: textAnswer ? String(calls) : `${calls}, last turn without text`,
        samples,
        allIn: allInPerCall(samples, calls),
        loop: inLoop(samples),
        outside: outsideLoop(samples),
        upstream: summarize(samples.map((sample) => sample.upstreamMs / (calls + 1))),
        cpu: summarize(samples.map((sample) => sample.berthCpuMs / calls)),
      };
    }),
  );
  const worstLoopP50 = Math.max(...rows.map((row) => row.loop.p50));
  const worstAllInP50 = Math.max(...rows.filter((row) => row.textAnswer).map((row) => row.allIn.p50));
  const worstAllInP50AtTen = Math.max(...rows.filter((row) => row.calls >= 10).map((row) => row.allIn.p50));
  const listing = modes.map((mode) => {
    const find = (textAnswer: boolean) =>
      rows.find((row) => row.mode === mode && row.calls === 1 && row.textAnswer === textAnswer);
    return `${mode} ${ms((find(true)?.outside.p50 ?? NaN) - (find(false)?.outside.p50 ?? NaN))} ms`;
  });
  const exec = summarize(figures.execs);

  const loopTable = [
    '| mode | shell calls per response | responses | Berth ms per round trip, in the loop: p50 / p90 / mean | round trips | Berth ms per round trip, all-in: p50 / p90 / mean | Berth ms outside the loop per response: p50 | Berth CPU ms per round trip, all-in: p50 | upstream ms per model request: p50 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.mode} | ${row.label} | ${row.samples.length} | ${three(row.loop)} | ${row.loop.count} | ${three(row.allIn)} | ${ms(row.outside.p50)} | ${ms(row.cpu.p50)} | ${ms(row.upstream.p50)} |`,
    ),
  ].join('\n');

  const baselineTable = [
    '| baseline | mode | samples | ms: p50 / p90 / mean |',
    '|---|---|---|---|',
    `| \`${figures.command}\` through \`POST /v1/containers/{id}/exec\` (client wall time) | non-streaming | ${exec.count} | ${three(exec)} |`,
    ...modes.map((mode) => {
      const noTools = summarize(figures.noTools[mode].map((sample) => sample.berthMs));
      return `| a response without tools (Berth time: wall − upstream) | ${mode} | ${noTools.count} | ${three(noTools)} |`;
    }),
    ...modes.map((mode) => {
      const cpu = summarize(figures.noTools[mode].map((sample) => sample.berthCpuMs));
      return `| the same, Berth's CPU time | ${mode} | ${cpu.count} | ${three(cpu)} |`;
    }),
  ].join('\n');

  const growth = modes.map((mode) => {
    const one = rows.find((row) => row.mode === mode && row.calls === 1 && row.textAnswer);
    const fifty = rows.find((row) => row.mode === mode && row.calls === 50);
    const positions = figures.byCalls[50][mode];
    const first = median(positions.flatMap((sample) => sample.roundTripsMs.slice(0, 5)));
    const last = median(positions.flatMap((sample) => sample.roundTripsMs.slice(-5)));
    return `| ${mode} | ${ratio((fifty?.loop.p50 ?? NaN) / (one?.loop.p50 ?? NaN))} | ${ratio((fifty?.allIn.p50 ?? NaN) / (one?.allIn.p50 ?? NaN))} | ${ms(first)} → ${ms(last)} |`;
  });
  const growthTable = [
    '| mode | N=50 vs N=1, in the loop (p50) | N=50 vs N=1, all-in (p50) | within N=50 responses: p50 of round trips 1–5 → 46–50 (ms) |',
    '|---|---|---|---|',
    ...growth,
  ].join('\n');

  const depth = sizes.chainDepth;
  const measures = [
    { name: 'Berth ms per response', pick: (sample: ResponseSample) => sample.berthMs },
    { name: 'round trip in the loop, ms', pick: (sample: ResponseSample) => sample.roundTripsMs[0] ?? NaN },
    { name: 'Berth CPU ms per response', pick: (sample: ResponseSample) => sample.berthCpuMs },
  ];
  const chainRatiosOf = (kind: 'answered' | 'textless') =>
    modes.flatMap((mode) =>
      measures.map(({ name, pick }) => {
        const shallow = median(figures.branches[mode][kind].shallow.map(pick));
        const deep = median(figures.branches[mode][kind].deep.map(pick));
        const label = kind === 'answered' ? mode : `${mode}, last turn without text`;
        return { mode: label, name, shallow, deep, ratio: deep / shallow };
      }),
    );
  const answeredRatios = chainRatiosOf('answered');
  const chainRatios = [...answeredRatios, ...chainRatiosOf('textless')];
  const worstChainRatio = Math.max(...answeredRatios.map((row) => row.ratio));
  const worstTextlessRatio = Math.max(...chainRatiosOf('textless').map((row) => row.ratio));
  const chainRatioTable = [
    `| mode | measure (p50 of ${sizes.branchPairs} each) | depth 2 | depth ${depth} | ratio |`,
    '|---|---|---|---|---|',
    ...chainRatios.map(
      (row) => `| ${row.mode} | ${row.name} | ${ms(row.shallow)} | ${ms(row.deep)} | ${ratio(row.ratio)} |`,
    ),
  ].join('\n');

  const bucket = Math.max(1, Math.round(depth / 8));
  const buckets: string[] = [];
  for (let from = 1; from <= depth; from += bucket) {
    const to = Math.min(depth, from + bucket - 1);
    const cells = modes.map((mode) => {
      const part = figures.chains[mode].slice(from - 1, to);
      return measures
        .map(({ pick }) => ms(median(part.map(pick))))
        .concat(ms(median(part.map((sample) => sample.upstreamMs / 2))))
        .join(' | ');
    });
    buckets.push(`| ${from}–${to} | ${cells.join(' | ')} |`);
  }
  const chainTable = [
    '| depths (p50 of each) | non-streaming: Berth ms per response | round trip in the loop, ms | Berth CPU ms per response | upstream ms per request | streaming: Berth ms per response | round trip in the loop, ms | Berth CPU ms per response | upstream ms per request |',
    '|---|---|---|---|---|---|---|---|---|',
    ...buckets,
  ].join('\n');

  return `## Agent loop: Berth's time per hosted shell round trip

Reproduce: \`npm run bench:agent\` (as root for runc; writes this section; \`-- --quick\` for a smoke
run, \`-- --driver=bwrap\` for another driver, \`-- --profile\` for a CPU profile of the server; those
three do not write the doc). Measured ${figures.date} on ${figures.machine}, Node ${figures.node},
driver ${figures.driver}; load average ${figures.load[0].toFixed(2)} at the start, ${figures.load[1].toFixed(2)} at the end.

### Targets

| target (issue 4) | measured | verdict |
|---|---|---|
| ≤ ${roundTripTargetMs} ms of Berth time per shell round trip, in the loop | worst p50 ${ms(worstLoopP50)} ms (every N, both modes) | ${met(worstLoopP50 <= roundTripTargetMs)} |
| the same, all-in (the response's own overhead spread over its calls) | worst p50 ${ms(worstAllInP50)} ms (at N = 1); ${ms(worstAllInP50AtTen)} ms at N ≥ 10 | ${met(worstAllInP50 <= roundTripTargetMs)} |
| a response chained ${depth} deep ≤ ${chainTargetRatio}× slower per turn than one chained 2 deep | worst ratio ${ratio(worstChainRatio)} (p50s of Berth time and CPU time per response and of the round trip in the loop, both modes); ${ratio(worstTextlessRatio)} when the last turn has no text | ${met(worstChainRatio <= chainTargetRatio)} |

### Method

Three processes: the benchmark (the official \`openai\` client), a real Berth (\`startRuntime\`, as
\`berth serve\` runs it: SQLite in a temporary data directory, every response stored, containers on the
driver above, no warm pool) and the scripted model (\`test/support/fake-openai-responses-upstream.ts\`,
configured as provider \`oai\`, answering at once). Every response uses one container made before the
clock runs (\`tools: [{type: "shell", environment: {type: "container_reference", …}}]\`): creating a
container is the sandbox benchmark's subject, not this one's. The scripted model calls the shell N
times, one call per turn, each running \`${figures.command}\`, then answers "Done."; every answer is
checked (status, one output per call, the command's stdout and exit code 0).

The model's time is taken out where it is spent: the upstream process times each \`POST /v1/responses\`
from its headers being parsed to the last byte of its answer being handed to the kernel (Node's
\`http.server.request.start\` / \`http.server.response.finish\` diagnostics channels), which includes
parsing Berth's request body and rendering the turn. Two figures follow:

- **In the loop**: the time from the upstream finishing a turn that calls the shell to Berth's next
  model request reaching it, taken on the upstream's clock alone. It counts reading and parsing the
  upstream's answer (JSON or SSE) in Berth's provider adapter (the official \`openai\` client), assembling
  the output and its stream events, the command's exec in the container's live shell session (the
  shell's own work included), the tool-call log write, building the next model request (the whole
  context plus every output so far) and sending it. No client work is in it.
- **All-in**: the client's wall time for the whole response minus the upstream's time on all its
  model requests, divided by N. On top of the loop it counts the client's request to Berth and the
  answer back (HTTP, validation, the SSE events the client reads when streaming), the first turn's
  request, the final answer, and the response's store writes (the row, its items and events); the
  "outside the loop" column is that part alone, per response. It also holds the client's own work of
  sending the request and parsing the answer (a few tenths of a ms; see the baseline without tools).
- **Berth CPU**: the Berth process's user + system CPU time over the response (\`process.cpuUsage()\`
  read over IPC before and after), divided by N. Wall times on a loaded machine include waiting for a
  CPU; this does not, so it shows the work itself. It leaves out the sandbox's processes (the shell,
  and any \`runc exec\`).

Sizes: ${sizes.rounds} rounds after ${sizes.warmupRounds} warm-up rounds; each round runs
${sizes.execsPerRound} execs, then for each mode ${sizes.textlessPerRound} responses with 1 call and a last turn without text,
${sizes.perRound[0]} without tools, ${sizes.perRound[1]} with 1 call, ${sizes.perRound[10]} with 10 and ${sizes.perRound[50]} with 50,
interleaved so the machine's drift touches every kind alike (${figures.loopSeconds.toFixed(0)} s). Then one chain
of ${depth} responses per mode, each continuing the previous one (\`previous_response_id\`) in the same
container with one shell call (the table by depth below). Then ${sizes.branchPairs} pairs of responses, each pair one at depth 2
(continuing from the chain's first response) and one at depth ${depth} (from its next-to-last), one
right after the other so both meet the same machine, and the same again with a last turn without
text; the ratio compares their medians. The verdict is on the responses that answer with text.

### Round trips for 1, 10 and 50 calls per response

${loopTable}

The rows "last turn without text" isolate what starts a text answer after commands ran: Berth lists
the container's files (a \`find\` in a shell session of Berth's own in the sandbox) to cite the ones the answer
names. Its cost per response, as the difference of the two "outside the loop" medians: ${listing.join(', ')}.

### Baselines in the same run

${baselineTable}

### Growth with N

${growthTable}

### Chain length

${chainRatioTable}

${chainTable}
`;
}
