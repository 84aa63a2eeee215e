/**
 * OpenTelemetry for one process. Traces leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP over
 * HTTP, `<endpoint>/v1/traces`); without it no exporter exists and nothing touches the network. The W3C trace
 * context (`traceparent`) links the gateway's fetch spans with the subgraphs' request spans.
 *
 * The gateway always keeps a local provider: @apollo/gateway reports each subgraph fetch as a `gateway.fetch` span,
 * which is where the per-subgraph fetch latency metric comes from.
 */
import { context, propagation, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { processMetrics } from './metrics.js';

export interface Tracing {
  /** True when spans are exported. */
  exporting: boolean;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  service: string;
  /** OTLP/HTTP base endpoint, e.g. http://otel-collector:4318 (unset: no export). */
  endpoint?: string;
  /** Record the gateway's subgraph fetch spans as metrics (the gateway only). */
  fetchMetrics?: boolean;
}

let active: Tracing | undefined;

/** Sets up tracing for this process once; later calls get the first setup. */
export function initTracing({ service, endpoint, fetchMetrics = false }: TracingOptions): Tracing {
  if (active) return active;
  const processors: SpanProcessor[] = [];
  if (fetchMetrics) processors.push(new FetchMetricsProcessor());
  if (endpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` })));
  if (processors.length === 0) {
    active = { exporting: false, shutdown: async () => {} };
    return active;
  }
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': service, 'service.namespace': 'chargegraph' }),
    spanProcessors: processors,
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  active = {
    exporting: Boolean(endpoint),
    async shutdown() {
      await provider.shutdown().catch(() => undefined); // flushes the batch exporter
    },
  };
  return active;
}

/** `gateway.fetch` spans (one per subgraph fetch of a query plan) → chargegraph_subgraph_fetch_duration_seconds. */
class FetchMetricsProcessor implements SpanProcessor {
  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (span.name !== 'gateway.fetch') return;
    const subgraph = typeof span.attributes.service === 'string' ? span.attributes.service : 'unknown';
    const [seconds, nanos] = span.duration;
    processMetrics().subgraphFetch.observe({ subgraph, outcome: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok' }, seconds + nanos / 1e9);
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
