import 'reflect-metadata';
import { createProcessLogger } from '../observability.js';
import { loadOrExit, onTermination } from '../process-lifecycle.js';
import { loadProcessConfig, type ConfigReader } from '../runtime-config.js';
import { createSubgraph, type SubgraphDeps, type SubgraphModule } from './server.js';
import { initTracing } from '../tracing.js';

export interface RunOptions {
  /** The subgraph's own configuration readers (e.g. payment settings): validated at start with everything else. */
  config?: ConfigReader[];
  /** Extra metrics of this subgraph, sampled at scrape time. */
  metrics?: (deps: SubgraphDeps) => () => void;
}

/**
 * Process entry for one subgraph: configuration read and validated once (every problem in one message, exit 1),
 * listen, and on SIGTERM/SIGINT a graceful stop: readiness 503 first, SHUTDOWN_DELAY_MS later the listener closes,
 * in-flight requests finish, the sweeper stops, the pool closes, exit 0 — or exit 1 when SHUTDOWN_TIMEOUT_MS passes.
 */
export async function runSubgraph(module: SubgraphModule, options: RunOptions = {}): Promise<void> {
  const { config, runtime } = loadOrExit(() => loadProcessConfig(process.env, options.config));
  const logger = createProcessLogger(module.name, config.LOG_LEVEL);
  const tracing = initTracing({
    service: runtime.OTEL_SERVICE_NAME ?? `chargegraph-${module.name}`,
    endpoint: runtime.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const subgraph = await createSubgraph(module, config, logger, {
    migrate: runtime.MIGRATE_ON_START,
    poolMax: runtime.DB_POOL_MAX,
    drainTimeoutMs: runtime.SHUTDOWN_TIMEOUT_MS,
    metrics: options.metrics,
  });
  await subgraph.listen(config.ports[module.name], runtime.LISTEN_HOST ?? '127.0.0.1');
  onTermination(
    logger,
    { delayMs: runtime.SHUTDOWN_DELAY_MS, timeoutMs: runtime.SHUTDOWN_TIMEOUT_MS, tracing },
    {
      beginDraining: () => void (subgraph.lifecycle.draining = true),
      inFlight: () => subgraph.lifecycle.inFlight,
      close: () => subgraph.close(),
    },
  );
}
