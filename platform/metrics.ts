/**
 * Prometheus metrics of a process (`GET /metrics`, prom-client). One registry per process: when several services
 * share a process (`npm start`, tests) every series carries its `service` label, and each metric is created once.
 *
 * - chargegraph_http_requests_total / _http_request_duration_seconds{service, route, method, status}
 * - chargegraph_http_requests_in_flight{service}
 * - chargegraph_graphql_operation_duration_seconds{service, operation, type}: rate and latency per operation
 * - chargegraph_graphql_errors_total{service, code}: every error sent, by `extensions.code`
 * - chargegraph_subgraph_fetch_duration_seconds{subgraph, outcome}: the gateway's fetches, per subgraph
 * - chargegraph_db_pool_connections{service, state}: used / free / pending acquires of the PostgreSQL pool
 * - chargegraph_webhook_lag_seconds{service, outcome}: provider event creation → our answer
 * - the payment subgraph adds payments by status and operator and the sweeper backlog (payment/metrics.ts)
 * - Node's defaults (event loop lag, heap, GC, CPU), prefixed `chargegraph_process_`
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Something sampled at scrape time (pool usage, rows counted in PostgreSQL). */
export type Sampler = () => Promise<void> | void;

class ProcessMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'chargegraph_http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['service', 'route', 'method', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'chargegraph_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['service', 'route', 'method', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'chargegraph_http_requests_in_flight',
    help: 'HTTP requests being served',
    labelNames: ['service'],
    registers: [this.registry],
  });
  readonly operationDuration = new Histogram({
    name: 'chargegraph_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency (count = rate) per operation',
    labelNames: ['service', 'operation', 'type'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly graphqlErrors = new Counter({
    name: 'chargegraph_graphql_errors_total',
    help: 'GraphQL errors sent to callers, by extensions.code',
    labelNames: ['service', 'code'],
    registers: [this.registry],
  });
  readonly subgraphFetch = new Histogram({
    name: 'chargegraph_subgraph_fetch_duration_seconds',
    help: "The gateway's fetches from each subgraph",
    labelNames: ['subgraph', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly poolConnections = new Gauge({
    name: 'chargegraph_db_pool_connections',
    help: 'PostgreSQL pool: used, free, pending (waiting for a connection), max',
    labelNames: ['service', 'state'],
    registers: [this.registry],
  });
  readonly webhookLag = new Histogram({
    name: 'chargegraph_webhook_lag_seconds',
    help: 'Provider event creation until our answer to its delivery',
    labelNames: ['service', 'outcome'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600],
    registers: [this.registry],
  });
  private readonly samplers = new Map<string, Sampler>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'chargegraph_process_' });
  }

  /** Registers a scrape-time sampler under a key (replaced when registered again); returns its removal. */
  sample(key: string, sampler: Sampler): () => void {
    this.samplers.set(key, sampler);
    return () => {
      if (this.samplers.get(key) === sampler) this.samplers.delete(key);
    };
  }

  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.all(
      [...this.samplers.values()].map(async (sampler) => {
        try {
          await sampler();
        } catch {
          // A sampler that cannot answer (database down) leaves its last values; the scrape still succeeds.
        }
      }),
    );
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

let instance: ProcessMetrics | undefined;

/** This process's metrics (created on first use). */
export function processMetrics(): ProcessMetrics {
  instance ??= new ProcessMetrics();
  return instance;
}

/** `GET /metrics` in Prometheus text format. */
export const metricsHandler: RequestHandler = async (_req, res) => {
  const { contentType, body } = await processMetrics().render();
  res.setHeader('content-type', contentType);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
};

/** A bounded label for a URL path: known routes as themselves, everything else `other` (no ids in labels). */
export function routeLabel(path: string): string {
  if (
    path === '/graphql' ||
    path === '/' ||
    path === '/metrics' ||
    path === '/commands' ||
    path.startsWith('/health/') ||
    path.startsWith('/webhooks/')
  )
    return path;
  if (path.startsWith('/ide/')) return '/ide';
  return 'other';
}

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
const MAX_OPERATION_NAMES = 500;
const seenOperations = new Set<string>();

/** Clients choose operation names: keep well-formed ones up to a bound, so a client cannot explode the series. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return '(anonymous)';
  if (!OPERATION_NAME.test(name)) return '(invalid)';
  if (seenOperations.has(name)) return name;
  if (seenOperations.size >= MAX_OPERATION_NAMES) return '(other)';
  seenOperations.add(name);
  return name;
}

/** Apollo Server plugin: latency per operation and every error sent, by code. */
export function graphqlMetricsPlugin<T extends BaseContext>(service: string): ApolloServerPlugin<T> {
  const metrics = processMetrics();
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, response }) {
          const type = operation?.operation ?? 'unknown';
          metrics.operationDuration.observe(
            { service, operation: operationLabel(operationName), type },
            (performance.now() - started) / 1000,
          );
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          for (const error of errors ?? []) {
            const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'UNKNOWN';
            metrics.graphqlErrors.inc({ service, code: code.slice(0, 64) });
          }
        },
      };
    },
  };
}

export interface PoolSource {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

/** Samples a knex/tarn pool (MikroORM's) at scrape time. */
export function samplePool(service: string, pool: () => PoolSource | undefined): () => void {
  const metrics = processMetrics();
  return metrics.sample(`pool:${service}`, () => {
    const p = pool();
    if (!p) return;
    metrics.poolConnections.set({ service, state: 'used' }, p.numUsed());
    metrics.poolConnections.set({ service, state: 'free' }, p.numFree());
    metrics.poolConnections.set({ service, state: 'pending' }, p.numPendingAcquires());
    metrics.poolConnections.set({ service, state: 'max' }, p.max);
  });
}
