import 'reflect-metadata';
import type { Logger } from 'pino';
import { createProcessLogger } from './observability.js';
import { ConfigurationError, loadProcessConfig, type ConfigReader } from './runtime-config.js';
import { createSubgraph, type SubgraphDeps, type SubgraphModule } from './server.js';
import { initTracing, type Tracing } from './tracing.js';

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

/** Configuration problems are an operator's to fix: one message on stderr, no stack trace, exit code 1. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

export interface Stoppable {
  beginDraining(): void;
  inFlight(): number;
  close(): Promise<void>;
}

/** SIGTERM/SIGINT → graceful stop within a bound (see runSubgraph). A second signal does not restart it. */
export function onTermination(
  logger: Logger,
  { delayMs, timeoutMs, tracing }: { delayMs: number; timeoutMs: number; tracing?: Tracing },
  target: Stoppable,
): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    target.beginDraining();
    logger.info({ signal, inFlight: target.inFlight(), delayMs, timeoutMs }, 'stopping: readiness is false, draining');
    const deadline = setTimeout(
      () => {
        logger.error({ inFlight: target.inFlight(), timeoutMs }, 'graceful stop took too long; exiting anyway');
        process.exit(1);
      },
      delayMs + timeoutMs + 2_000,
    );
    deadline.unref();
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await target.close();
      await tracing?.shutdown();
      logger.info({ ms: Math.round(performance.now() - started) }, 'stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'graceful stop failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
