import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { CounterSeries, HistogramSeries } from './metric-series.js';

/** A finished response, as the metrics see it. */
export interface FinishedResponse {
  readonly providerKind: string;
  readonly model: string;
  /** completed, incomplete, failed or cancelled. */
  readonly status: string;
  readonly usage?:
    | {
        readonly input_tokens: number;
        readonly output_tokens: number;
        readonly input_tokens_details?: { readonly cached_tokens?: number } | undefined;
      }
    | null
    | undefined;
  /** Its output items: every `*_call` among them counts as a tool call of its type, by its status. */
  readonly output: readonly { readonly type?: unknown; readonly status?: unknown }[];
}

/** One model call (a turn of the tool loop). */
export interface ModelCall {
  readonly providerKind: string;
  readonly model: string;
  readonly seconds: number;
  /** Until the provider's first event; absent when none came. */
  readonly firstEventSeconds?: number | undefined;
  /** stop, length, tool_calls, …; `error` when the call failed. */
  readonly finishReason: string;
}

/** Counts read when Prometheus scrapes, per sandbox driver. */
export interface ContainerCounts {
  readonly driver: string;
  /** Sandboxes running for containers. */
  readonly live: number;
  /** Started sandboxes waiting in the warm pool. */
  readonly pooled: number;
}

/**
 * Berth's Prometheus metrics. Injected like the logger; every call is a few counter increments, so
 * the hot path pays next to nothing. Labels never carry a project, key, id or prompt: their values
 * come from small fixed sets (routes as declared, statuses, provider kinds, configured models,
 * drivers, exit codes 0–255).
 */
export interface Metrics {
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  responseFinished(response: FinishedResponse): void;
  modelCall(call: ModelCall): void;
  /** A shell command the hosted shell ran: its exit code, or `timeout`. */
  shellCommand(exit: number | 'timeout', seconds: number): void;
  sandboxStarted(driver: string, seconds: number): void;
  containerCreated(driver: string): void;
  containerExpired(driver: string): void;
  /** A connection a container's egress proxy allowed or denied. */
  egress(decision: 'allowed' | 'denied'): void;
  /** A store call and how long it took. */
  storeCall(operation: string, seconds: number): void;
  /** Where scrapes read live counts of containers from. */
  observeContainers(read: () => readonly ContainerCounts[]): void;
  /** The exposition text and its content type. */
  render(): Promise<{ readonly contentType: string; readonly text: string }>;
}

/** Most distinct `model` label values, `other` included. */
const maxModelLabels = 100;

/** Latency buckets in seconds, from a cached store read to a long model answer. */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Metrics in a registry of their own (not prom-client's global one), so two servers in one process
 * (tests, embedding) never share or clash; with the process's own metrics (CPU, memory, event-loop
 * lag, handles) under `berth_process_`/`berth_nodejs_`.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'berth_' });
  const counter = (name: string, help: string, labelNames: readonly string[]) => {
    const series = new CounterSeries(name, help, labelNames);
    registry.registerMetric(series as unknown as Metric);
    return series;
  };
  const histogram = (name: string, help: string, labelNames: readonly string[]) => {
    const series = new HistogramSeries(name, help, labelNames, latencyBuckets);
    registry.registerMetric(series as unknown as Metric);
    return series;
  };

  const httpRequests = counter('berth_http_requests_total', 'HTTP requests answered.', [
    'method',
    'route',
    'status',
  ]);
  const httpDuration = histogram('berth_http_request_duration_seconds', 'Time to answer an HTTP request.', [
    'method',
    'route',
  ]);
  const responses = counter('berth_responses_total', 'Responses finished, by final status.', [
    'provider_kind',
    'model',
    'status',
  ]);
  const tokens = counter('berth_tokens_total', 'Model tokens, by kind (input, output, cached_input).', [
    'provider_kind',
    'model',
    'type',
  ]);
  const toolCalls = counter(
    'berth_tool_calls_total',
    'Tool calls in finished responses, by type and status.',
    ['type', 'status'],
  );
  const modelCalls = counter('berth_model_calls_total', 'Model calls, by how they finished.', [
    'provider_kind',
    'model',
    'finish_reason',
  ]);
  const modelDuration = histogram('berth_model_call_duration_seconds', 'Time a model call took.', [
    'provider_kind',
    'model',
  ]);
  const firstEvent = histogram(
    'berth_model_time_to_first_event_seconds',
    "Time from a model call to the provider's first streamed event (time to first token).",
    ['provider_kind', 'model'],
  );
  const shellCommands = counter('berth_shell_commands_total', 'Hosted shell commands run, by exit code.', [
    'exit_code',
  ]);
  const shellDuration = histogram(
    'berth_shell_command_duration_seconds',
    'Time a hosted shell command ran.',
    [],
  );
  const sandboxStarts = histogram('berth_sandbox_start_duration_seconds', 'Time to start a sandbox.', [
    'driver',
  ]);
  const containersCreated = counter('berth_containers_created_total', 'Containers created.', ['driver']);
  const containersExpired = counter('berth_containers_expired_total', 'Containers removed for idling.', [
    'driver',
  ]);
  const egress = counter('berth_egress_connections_total', "Containers' outbound connections, by decision.", [
    'decision',
  ]);
  const storeDuration = histogram('berth_store_call_duration_seconds', 'Time a store call took.', [
    'operation',
  ]);

  // Model names come from requests (the default provider takes any), so the label keeps the first
  // `maxModelLabels` seen and calls every later one `other`: a client cannot grow the registry.
  const models = new Set<string>();
  const modelLabel = (model: string): string => {
    if (models.has(model)) return model;
    if (models.size >= maxModelLabels - 1) return 'other';
    models.add(model);
    return model;
  };

  let readContainers: () => readonly ContainerCounts[] = () => [];
  const containerGauge = (name: string, help: string, pick: (counts: ContainerCounts) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['driver'],
      registers: [registry],
      collect() {
        this.reset();
        for (const counts of readContainers()) this.set({ driver: counts.driver }, pick(counts));
      },
    });
  containerGauge('berth_containers_live', 'Sandboxes running for containers.', (counts) => counts.live);
  containerGauge(
    'berth_containers_pooled',
    'Started sandboxes waiting in the warm pool.',
    (counts) => counts.pooled,
  );

  return {
    httpRequest(method, route, status, seconds) {
      httpRequests.inc([method, route, String(status)]);
      httpDuration.observe([method, route], seconds);
    },
    responseFinished({ providerKind, model, status, usage, output }) {
      const modelName = modelLabel(model);
      responses.inc([providerKind, modelName, status]);
      if (usage) {
        tokens.inc([providerKind, modelName, 'input'], usage.input_tokens);
        tokens.inc([providerKind, modelName, 'output'], usage.output_tokens);
        const cached = usage.input_tokens_details?.cached_tokens ?? 0;
        if (cached > 0) tokens.inc([providerKind, modelName, 'cached_input'], cached);
      }
      for (const item of output) {
        if (typeof item.type === 'string' && item.type.endsWith('_call')) {
          toolCalls.inc([item.type, typeof item.status === 'string' ? item.status : 'unknown']);
        }
      }
    },
    modelCall({ providerKind, model, seconds, firstEventSeconds, finishReason }) {
      const modelName = modelLabel(model);
      modelCalls.inc([providerKind, modelName, finishReason]);
      modelDuration.observe([providerKind, modelName], seconds);
      if (firstEventSeconds !== undefined) firstEvent.observe([providerKind, modelName], firstEventSeconds);
    },
    shellCommand(exit, seconds) {
      shellCommands.inc([String(exit)]);
      shellDuration.observe([], seconds);
    },
    sandboxStarted(driver, seconds) {
      sandboxStarts.observe([driver], seconds);
    },
    containerCreated(driver) {
      containersCreated.inc([driver]);
    },
    containerExpired(driver) {
      containersExpired.inc([driver]);
    },
    egress(decision) {
      egress.inc([decision]);
    },
    storeCall(operation, seconds) {
      storeDuration.observe([operation], seconds);
    },
    observeContainers(read) {
      readContainers = read;
    },
    async render() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
