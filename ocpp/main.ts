import 'reflect-metadata';
import { loadOrExit, onTermination } from '../platform/process-lifecycle.js';
import { createProcessLogger } from '../platform/observability.js';
import { loadProcessConfig } from '../platform/runtime-config.js';
import { initTracing } from '../platform/tracing.js';
import { loadOcppSettings } from './config.js';
import { createOcppServer } from './server.js';

// Every setting the OCPP process reads, validated together: one message listing every problem, exit 1.
const { config, runtime } = loadOrExit(() => loadProcessConfig(process.env, [loadOcppSettings]));
const logger = createProcessLogger('ocpp', config.LOG_LEVEL);
const tracing = initTracing({
  service: runtime.OTEL_SERVICE_NAME ?? 'chargegraph-ocpp',
  endpoint: runtime.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const server = await createOcppServer({
  config,
  settings: loadOcppSettings(process.env),
  logger,
  migrate: runtime.MIGRATE_ON_START,
  poolMax: Math.min(runtime.DB_POOL_MAX, 4),
});
await server.listen(config.OCPP_PORT, runtime.LISTEN_HOST ?? '127.0.0.1');

// SIGTERM: readiness 503, charger sockets closed with 1012 (they reconnect to another replica), reported
// disconnected, bus and database closed, exit 0.
onTermination(
  logger,
  { delayMs: runtime.SHUTDOWN_DELAY_MS, timeoutMs: runtime.SHUTDOWN_TIMEOUT_MS, tracing },
  {
    beginDraining: () => server.beginDraining(),
    inFlight: () => server.lifecycle.inFlight,
    close: () => server.close(),
  },
);
