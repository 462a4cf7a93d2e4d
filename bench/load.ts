import { Agent, request } from 'node:http';

export interface LoadResult {
  readonly latenciesMs: readonly number[];
  readonly seconds: number;
  readonly errors: number;
}

/**
 * Sends `total` POSTs with `concurrency` in flight over keep-alive connections, reading every body to
 * the end (the whole SSE stream when streaming), and records each request's latency.
 */
export async function runLoad(
  url: string,
  body: string,
  concurrency: number,
  total: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latenciesMs: number[] = [];
  let errors = 0;
  let issued = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = process.hrtime.bigint();
      const outgoing = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.on('data', () => {});
          response.on('end', () => {
            if (response.statusCode !== 200) errors += 1;
            latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
            resolve();
          });
        },
      );
      outgoing.on('error', () => {
        errors += 1;
        resolve();
      });
      outgoing.end(body);
    });
  const worker = async () => {
    while (issued < total) {
      issued += 1;
      await once();
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { latenciesMs, seconds, errors };
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
