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
  const once = async () => {
    const started = process.hrtime.bigint();
    try {
      const { status } = await postJson(agent, target, body);
      if (status !== 200) errors += 1;
      latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    } catch {
      errors += 1;
    }
  };
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

/** One keep-alive POST of a JSON body, read to its end. */
export function postJson(agent: Agent, target: URL, body: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
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
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
