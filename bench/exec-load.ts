// Load on `POST /v1/containers/{id}/exec` from a child process, so the load generator's CPU is not
// counted as Berth's (they share the machine, as a client on the same host would).
import { fork } from 'node:child_process';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { postJson } from './load.js';

export interface ExecLoadPlan {
  /** Berth's base URL, ending in `/v1`. */
  readonly baseURL: string;
  /** One client per target, each sending one command after another to its own session. */
  readonly targets: readonly { readonly containerId: string; readonly session: string }[];
  readonly command: string;
  /** Load discarded before measuring (JIT, connections, SQLite page cache). */
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface ExecLoadResult {
  readonly latenciesMs: number[];
  readonly seconds: number;
  /** Requests that did not answer 200 with the command's exit status 0. */
  readonly errors: number;
  readonly firstError?: string;
}

/** Runs `plan` in a child process and resolves with what it measured. */
export function runExecLoad(plan: ExecLoadPlan): Promise<ExecLoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ['--exec-load-child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (result) => resolve(result as ExecLoadResult));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the exec load generator exited ${code}`)));
    child.send(plan);
  });
}

async function generate(plan: ExecLoadPlan): Promise<ExecLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.targets.length });
  const body = (session: string) => JSON.stringify({ commands: [plan.command], session });
  let errors = 0;
  let firstError: string | undefined;
  const client = async (
    target: ExecLoadPlan['targets'][number],
    deadline: number,
    latenciesMs: number[],
  ): Promise<void> => {
    const url = new URL(`${plan.baseURL}/containers/${target.containerId}/exec`);
    const request = body(target.session);
    while (performance.now() < deadline) {
      const started = process.hrtime.bigint();
      const response = await postJson(agent, url, request);
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      const text = response.body.toString('utf8');
      const ok =
        response.status === 200 &&
        (JSON.parse(text) as { output: { outcome: { exit_code?: number } }[] }).output[0]?.outcome
          .exit_code === 0;
      if (ok) latenciesMs.push(elapsed);
      else {
        errors += 1;
        firstError ??= `${response.status} ${text.slice(0, 300)}`;
      }
    }
  };
  const phase = async (durationMs: number) => {
    const latenciesMs: number[] = [];
    const started = performance.now();
    await Promise.all(plan.targets.map((target) => client(target, started + durationMs, latenciesMs)));
    return { latenciesMs, seconds: (performance.now() - started) / 1000 };
  };
  await phase(plan.warmupMs);
  errors = 0;
  firstError = undefined;
  const measured = await phase(plan.durationMs);
  agent.destroy();
  return { ...measured, errors, ...(firstError ? { firstError } : {}) };
}

if (process.argv[2] === '--exec-load-child') {
  process.once('message', (plan) => {
    generate(plan as ExecLoadPlan).then(
      (result) => process.send?.(result, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
