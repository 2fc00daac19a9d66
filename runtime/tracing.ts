import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** A running trace pipeline: spans of this process go to one OTLP/HTTP collector. */
export interface Tracing {
  /** ledgerflow's own tracer (SQL spans, client and activity interceptors). */
  readonly tracer: Tracer;
  /** Where finished spans go; the worker hands it to the workflow span exporter sink. */
  readonly spanProcessor: SpanProcessor;
  /** service.name and friends, attached to every span (workflow spans too). */
  readonly resource: Resource;
  /** Exports what is still buffered, then stops. Call before the process exits. */
  shutdown(): Promise<void>;
}

/** Tracing settings as read at an entrypoint (see `tracingSettings` in runtime/config.ts). */
export interface TracingSettings {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans are POSTed to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** service.name of this process's spans, e.g. `ledgerflow-worker`. */
  serviceName: string;
}

/**
 * Starts OpenTelemetry tracing for this process and registers it globally: the W3C trace
 * context propagator (Temporal's interceptors carry it in workflow and activity headers) and an
 * AsyncLocalStorage context manager (so SQL spans find the activity span they run under).
 */
export function startTracing(settings: TracingSettings): Tracing {
  const resource = new Resource({ 'service.name': settings.serviceName });
  const url = `${settings.endpoint.replace(/\/+$/, '')}/v1/traces`;
  // Short timeouts: an unreachable collector must not hold a CLI command's exit for long.
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url, timeoutMillis: 5_000 }), {
    scheduledDelayMillis: 500,
    exportTimeoutMillis: 5_000,
  });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    tracer: provider.getTracer('ledgerflow'),
    spanProcessor,
    resource,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
    },
  };
}
