import { randomUUID } from 'node:crypto';
import type {
  FinishReason,
  ModelEvent,
  ModelProvider,
  ModelRequest,
  ModelUsage,
  ShellAction,
} from '../../src/providers/model-provider.js';

/**
 * One turn of a scripted model: the events it answers with, or a function that makes them (to wait
 * for the test, or to throw as an upstream would). `finish` should be the last event.
 */
export type ScriptedModelTurn =
  | readonly ModelEvent[]
  | ((request: ModelRequest, signal: AbortSignal) => AsyncIterable<ModelEvent> | readonly ModelEvent[]);

export interface ScriptedModelProviderOptions {
  /** The provider's name, the `<provider>` of `"<provider>/<model>"` (default `scripted`). */
  readonly name?: string;
  /** What `listModels` answers (default none: it cannot say). */
  readonly models?: readonly string[];
}

/**
 * An in-memory `ModelProvider` for engine unit tests: each call (`stream` or `complete`) answers with
 * the next scripted turn, or the text "ok" once the script is used up, and every request is recorded.
 * Aborting the signal ends a streaming turn with the signal's reason, as a real adapter's aborted
 * upstream call does.
 *
 * @example
 * const provider = new ScriptedModelProvider();
 * provider.script(shellCallTurn(['ls']), textTurn('done'));
 * const providers = createProviderRegistry([provider], provider.name);
 */
export class ScriptedModelProvider implements ModelProvider {
  readonly name: string;
  readonly kind = 'openai' as const;
  /** Every turn request the provider received, oldest first. */
  readonly requests: ModelRequest[] = [];
  /** Every request `countInputTokens` received. */
  readonly countRequests: ModelRequest[] = [];
  readonly #models: readonly string[];
  readonly #turns: ScriptedModelTurn[] = [];

  constructor(options: ScriptedModelProviderOptions = {}) {
    this.name = options.name ?? 'scripted';
    this.#models = options.models ?? [];
  }

  /** Appends turns to the script. */
  script(...turns: ScriptedModelTurn[]): void {
    this.#turns.push(...turns);
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> {
    for await (const event of this.#next(request, signal)) {
      signal.throwIfAborted();
      yield event;
    }
  }

  async complete(request: ModelRequest, signal: AbortSignal): Promise<readonly ModelEvent[]> {
    const events: ModelEvent[] = [];
    for await (const event of this.#next(request, signal)) events.push(event);
    signal.throwIfAborted();
    return events;
  }

  listModels(): Promise<readonly string[]> {
    return Promise.resolve(this.#models);
  }

  /** One token per four characters of the request's input, as a rough local counter would say. */
  countInputTokens(request: ModelRequest): Promise<number> {
    this.countRequests.push(request);
    return Promise.resolve(Math.ceil(JSON.stringify(request.input).length / 4));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #next(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> | readonly ModelEvent[] {
    this.requests.push(request);
    const turn = this.#turns.shift() ?? textTurn('ok');
    return typeof turn === 'function' ? turn(request, signal) : turn;
  }
}

const defaultUsage: ModelUsage = { inputTokens: 10, outputTokens: 5 };

/** A turn that answers `text` in one message. */
export function textTurn(text: string, finish: FinishReason = 'stop', usage = defaultUsage): ModelEvent[] {
  const id = `text-${text.length}`;
  return [
    { type: 'text-start', id },
    { type: 'text-delta', id, delta: text },
    { type: 'text-end', id },
    { type: 'finish', reason: finish, usage },
  ];
}

/** A turn that makes one hosted shell call per entry of `calls`, then finishes with `tool_calls`. */
export function shellCallTurn(...calls: readonly (readonly string[] | Partial<ShellAction>)[]): ModelEvent[] {
  const events: ModelEvent[] = [];
  for (const [index, call] of calls.entries()) {
    const action: ShellAction = Array.isArray(call)
      ? { commands: call as readonly string[], timeoutMs: null, maxOutputLength: null }
      : { commands: [], timeoutMs: null, maxOutputLength: null, ...(call as Partial<ShellAction>) };
    const id = `shell-${index}`;
    events.push(
      // Call ids are unique across turns, as an upstream's are.
      { type: 'shell-call-start', id, callId: `call_${randomUUID().slice(0, 8)}` },
      { type: 'shell-call-end', id, action },
    );
  }
  events.push({ type: 'finish', reason: 'tool_calls', usage: defaultUsage });
  return events;
}

/** A turn that calls the client's function `name` with `argumentsText`. */
export function functionCallTurn(name: string, argumentsText: string): ModelEvent[] {
  return [
    { type: 'tool-call-start', id: 'fn-0', callId: `call_${randomUUID().slice(0, 8)}`, name },
    { type: 'tool-call-delta', id: 'fn-0', delta: argumentsText },
    { type: 'tool-call-end', id: 'fn-0', arguments: argumentsText },
    { type: 'finish', reason: 'tool_calls', usage: defaultUsage },
  ];
}
