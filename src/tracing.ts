import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing, injected like the logger. Off unless an OTLP endpoint is configured, and
 * then the tracer is the API's no-op one: starting a span costs a function call.
 */
export interface Tracing {
  readonly tracer: Tracer;
  /**
   * Whether spans may carry what was said (input, output, commands). Off unless the operator opts in
   * with `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`, the GenAI instrumentations' switch.
   */
  readonly captureContent: boolean;
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * The span every helper here hands out while tracing is off: the API's no-op tracer still makes a
 * span object and a context per call, which showed in a CPU profile of the hot path (0.3 % of the
 * server) for spans nobody receives.
 */
export const noSpan: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** No tracing: spans go nowhere. */
export const noTracing: Tracing = {
  tracer: trace.getTracer('berth'),
  captureContent: false,
  shutdown: () => Promise.resolve(),
};

/**
 * Tracing as the standard OpenTelemetry variables ask: on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and neither `OTEL_SDK_DISABLED=true` nor
 * `OTEL_TRACES_EXPORTER=none` says otherwise; spans are batched and sent over OTLP/HTTP (JSON),
 * where the exporter reads its endpoint, headers and timeout from the same variables.
 *
 * The provider is Berth's own, not registered globally, so embedding Berth never replaces an
 * application's tracing. The context manager (AsyncLocalStorage) is global by nature: it is what
 * makes a model call's span the child of its response's across awaits.
 */
export function createTracing(environment: NodeJS.ProcessEnv, version: string): Tracing {
  const endpoint = environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? environment.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || environment.OTEL_SDK_DISABLED === 'true' || environment.OTEL_TRACES_EXPORTER === 'none') {
    return noTracing;
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': environment.OTEL_SERVICE_NAME ?? 'berth',
      'service.version': version,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  return {
    tracer: provider.getTracer('berth', version),
    captureContent: environment.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT === 'true',
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Runs `work` in a span that is the active one meanwhile (so spans started inside are its children),
 * ending it afterwards; a thrown error marks the span failed, with its message, and is rethrown.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (tracer === noTracing.tracer) return work(noSpan);
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `work` with `span` as the active span, without ending it (its owner does). */
export function withActiveSpan<T>(span: Span, work: () => T): T {
  if (span === noSpan) return work();
  return context.with(trace.setSpan(context.active(), span), work);
}

/** Marks `span` failed with `error`'s message. */
export function markFailed(span: Span, error: unknown): void {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The span active here, if any (a no-op one when tracing is off). */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}
