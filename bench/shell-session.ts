// npm run bench:shell-session — the round trip of a command in a live ShellSession against spawning
// `bash -c` for each command (what an exec-per-command sandbox pays at least), in the same run.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { ShellSession } from '../src/sandbox/shell-session.js';
import { writeBenchmarkSection } from './benchmarks-doc.js';
import { percentile } from './load.js';

const runs = process.argv.includes('--quick') ? 200 : 2000;
const env = { PATH: '/usr/bin:/bin' };
const session = new ShellSession({
  command: '/bin/bash',
  args: ['--norc', '--noprofile', '--noediting', '-i'],
  env,
});
const options = { timeoutMs: 10_000, maxOutputBytes: 65_536 };

async function time(run: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

const spawnBash = () =>
  new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', 'true'], { env, stdio: 'ignore' });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });

await time(() => session.run('true', options)); // warm-up
await time(spawnBash);
const inSession = await time(() => session.run('true', options));
const perCommand = await time(spawnBash);
session.close();

const row = (name: string, samples: number[]) =>
  `| ${name} | ${percentile(samples, 0.5).toFixed(3)} | ${percentile(samples, 0.99).toFixed(3)} |`;
const section = `## Shell session: a command in a live session vs. a new bash per command

Reproduce: \`npm run bench:shell-session\` (writes this section). Measured ${new Date().toISOString().slice(0, 10)} on
${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}.

\`true\` run ${runs} times, sequentially, after as many warm-up runs: through \`ShellSession\` (the persistent
interactive bash with nonce framing and a status channel, \`src/sandbox/shell-session.ts\`, here without a
sandbox around it), and as a new \`bash -c true\` process each time.

| path | p50 ms | p99 ms |
|---|---|---|
${row('ShellSession.run("true")', inSession)}
${row('spawn bash -c true', perCommand)}
`;
console.log(section);
if (!process.argv.includes('--quick')) writeBenchmarkSection('docs/benchmarks.md', 'shell-session', section);
