// node --import tsx bench/fork-stall.ts [--mb 0,500,1500]
// How long `spawn()` blocks the calling thread as the process grows: Node forks on Linux, and fork()
// copies the page tables of everything the parent has touched. Each size runs in a process of its own
// that first fills that many MB of its heap, then spawns /bin/true 30 times, one at a time.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '0,500,1500' }, child: { type: 'string' } },
});

if (values.child !== undefined) {
  const megabytes = Number(values.child);
  const ballast: Float64Array[] = [];
  for (let index = 0; index < megabytes; index += 1) {
    const block = new Float64Array(131_072); // 1 MiB
    for (let offset = 0; offset < block.length; offset += 512) block[offset] = offset; // every page
    ballast.push(block);
  }
  const blocked: number[] = [];
  for (let round = 0; round < 30; round += 1) {
    const started = performance.now();
    const child = spawn('/bin/true', [], { stdio: 'pipe' });
    blocked.push(performance.now() - started);
    await new Promise((resolve) => child.once('exit', resolve));
  }
  blocked.sort((a, b) => a - b);
  const rss = Math.round(process.memoryUsage().rss / 1e6);
  console.log(
    `${megabytes} MB ballast, RSS ${rss} MB: spawn() blocks p50 ${blocked[15]?.toFixed(2)} ms, ` +
      `max ${blocked[29]?.toFixed(2)} ms (${ballast.length} blocks held)`,
  );
} else {
  for (const megabytes of values.mb.split(',')) {
    const run = spawnSync(
      process.execPath,
      ['--max-old-space-size=4000', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', megabytes],
      { stdio: 'inherit' },
    );
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}
