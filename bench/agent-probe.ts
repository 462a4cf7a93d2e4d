import type OpenAI from 'openai';
import type {
  Response,
  ResponseCreateParamsNonStreaming,
  ResponseFunctionShellToolCallOutput,
} from 'openai/resources/responses/responses';
import type { ScriptedTurn } from '../test/support/scripted-turn.js';
import type { BenchChild, BerthMessage, UpstreamMessage, UpstreamSpan } from './agent-ipc.js';

/** One response through Berth, timed by the client and by the scripted upstream. */
export interface ResponseSample {
  /** From the client's call to the last byte of the answer (the stream's end when streaming). */
  readonly wallMs: number;
  /** The upstream's time on Berth's model requests, summed: the model, which is not Berth's. */
  readonly upstreamMs: number;
  /** `wallMs − upstreamMs`: the client↔Berth request, Berth's own work, and every command's run. */
  readonly berthMs: number;
  /**
   * One per shell round trip, in order: from the upstream handing over a turn that calls the shell to
   * the next model request reaching it. All of it is Berth's (and the command's), none the client's.
   */
  readonly roundTripsMs: readonly number[];
  /**
   * CPU time of the Berth process (user + system) during the response. Unlike the wall times it does
   * not grow while Berth waits for a CPU on a loaded machine; it leaves out the sandbox's processes.
   */
  readonly berthCpuMs: number;
  readonly responseId: string;
}

export interface ResponseOptions {
  /** Shell calls the scripted model makes, one per turn, before it answers; 0 offers no tools. */
  readonly calls: number;
  readonly stream: boolean;
  readonly previousResponseId?: string;
  /** False: the model's last turn ends without text (default true: it answers "Done."). */
  readonly textAnswer?: boolean;
}

const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

/**
 * The benchmark's measuring instrument: drives Berth with the official `openai` client over loopback,
 * scripts the model in the upstream process, and checks every answer (a failed command or a short
 * output throws: a fast wrong answer must never count as a figure).
 */
export class AgentProbe {
  constructor(
    private readonly client: OpenAI,
    private readonly upstream: BenchChild<UpstreamMessage>,
    private readonly berth: BenchChild<BerthMessage>,
    private readonly containerId: string,
    /** The command every shell call runs, and what it must print. */
    private readonly command: { readonly line: string; readonly stdout: string },
  ) {}

  /** A response whose model calls the shell `calls` times (one call a turn), then answers. */
  async response(options: ResponseOptions): Promise<ResponseSample> {
    const turns: ScriptedTurn[] = [
      ...Array.from({ length: options.calls }, () => ({ shellCalls: [{ commands: [this.command.line] }] })),
      // A final turn without text skips what starts a text answer (the file listing for citations).
      options.textAnswer === false ? {} : { text: 'Done.' },
    ];
    await this.upstream.request('scripted', { type: 'script', turns });
    const params: ResponseCreateParamsNonStreaming = {
      model: 'oai/gpt-5',
      input: 'Run the command.',
      ...(options.previousResponseId ? { previous_response_id: options.previousResponseId } : {}),
      ...(options.calls > 0
        ? {
            tools: [
              {
                type: 'shell',
                environment: { type: 'container_reference', container_id: this.containerId },
              },
            ],
          }
        : {}),
    };
    const cpuBefore = await this.#berthCpuMs();
    const started = process.hrtime.bigint();
    const response = options.stream
      ? await this.#streamed(params)
      : await this.client.responses.create(params);
    const wallMs = elapsedMs(started);
    const berthCpuMs = (await this.#berthCpuMs()) - cpuBefore;
    const { spans } = await this.upstream.request('spans', { type: 'take' });
    this.#check(response, options.calls, spans);
    const upstreamMs = spans.reduce((sum, span) => sum + span.end - span.start, 0);
    const roundTripsMs = spans.slice(1).map((span, index) => span.start - (spans[index]?.end ?? 0));
    return {
      wallMs,
      upstreamMs,
      berthMs: wallMs - upstreamMs,
      roundTripsMs,
      berthCpuMs,
      responseId: response.id,
    };
  }

  /** The same command through Berth's exec extension, `POST /v1/containers/{id}/exec`: client wall time. */
  async exec(): Promise<number> {
    const started = process.hrtime.bigint();
    const answer = await this.client.post<{ output: { stdout: string }[] }>(
      `/containers/${this.containerId}/exec`,
      { body: { commands: [this.command.line] } },
    );
    const wallMs = elapsedMs(started);
    if (answer.output[0]?.stdout !== this.command.stdout) {
      throw new Error(`exec printed ${JSON.stringify(answer.output)}`);
    }
    return wallMs;
  }

  async #berthCpuMs(): Promise<number> {
    const usage = await this.berth.request('cpu', { type: 'cpu' });
    return (usage.user + usage.system) / 1000;
  }

  /** Streams the response, reading every event, and resolves with the completed Response. */
  async #streamed(params: ResponseCreateParamsNonStreaming): Promise<Response> {
    const events = await this.client.responses.create({ ...params, stream: true });
    let completed: Response | undefined;
    for await (const event of events) if (event.type === 'response.completed') completed = event.response;
    if (!completed) throw new Error('the stream ended without response.completed');
    return completed;
  }

  #check(response: Response, calls: number, spans: readonly UpstreamSpan[]): void {
    const problem = (text: string) => new Error(`${text}: ${JSON.stringify(response).slice(0, 2000)}`);
    if (response.status !== 'completed') throw problem(`response ${response.status}`);
    if (spans.length !== calls + 1) throw problem(`${spans.length} model requests for ${calls} calls`);
    const outputs = response.output.filter(
      (item): item is ResponseFunctionShellToolCallOutput => item.type === 'shell_call_output',
    );
    if (outputs.length !== calls) throw problem(`${outputs.length} shell outputs for ${calls} calls`);
    for (const output of outputs) {
      const [entry] = output.output;
      if (
        entry?.stdout !== this.command.stdout ||
        entry.outcome.type !== 'exit' ||
        entry.outcome.exit_code !== 0
      ) {
        throw problem('a command did not run as scripted');
      }
    }
  }
}
