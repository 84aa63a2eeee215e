/**
 * OpenTelemetry for one process. Traces leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP over
 * HTTP, `<endpoint>/v1/traces`); without it no exporter exists and nothing touches the network. The W3C trace
 * context (`traceparent`) links the gateway's fetch spans with the subgraphs' request spans.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  /** True when spans are exported. */
  exporting: boolean;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  service: string;
  /** OTLP/HTTP base endpoint, e.g. http://otel-collector:4318 (unset: no export). */
  endpoint?: string;
}

let active: Tracing | undefined;

/** Sets up tracing for this process once; later calls get the first setup. */
export function initTracing({ service, endpoint }: TracingOptions): Tracing {
  if (active) return active;
  // Without an exporter no provider is registered: every OpenTelemetry call stays a no-op and costs nothing.
  if (!endpoint) {
    active = { exporting: false, shutdown: async () => {} };
    return active;
  }
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': service, 'service.namespace': 'chargegraph' }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` })),
    ],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  active = {
    exporting: true,
    async shutdown() {
      await provider.shutdown().catch(() => undefined); // flushes the batch exporter
    },
  };
  return active;
}
