import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { loadOrExit, onTermination } from '../platform/process-lifecycle.js';
import { createProcessLogger } from '../platform/observability.js';
import { loadProcessConfig } from '../platform/runtime-config.js';
import { initTracing } from '../platform/tracing.js';
import { createGateway } from './gateway.js';
import { loadSupergraphEnv } from './partner-config.js';
import { loadLiveSettings } from './live-config.js';

// Every setting the gateway reads, validated together: one message listing every problem, exit 1.
const { config, runtime } = loadOrExit(() => loadProcessConfig(process.env, [loadSupergraphEnv, loadLiveSettings]));
const logger = createProcessLogger('gateway', config.LOG_LEVEL);
// Before the gateway is built: @apollo/gateway reports its plan and fetch spans to the global tracer.
const tracing = initTracing({
  service: runtime.OTEL_SERVICE_NAME ?? 'chargegraph-gateway',
  endpoint: runtime.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const supergraphSdl = await readFile(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8');
const gateway = await createGateway({ config, logger, supergraphSdl });
await gateway.listen(config.GATEWAY_PORT, runtime.LISTEN_HOST ?? process.env.GATEWAY_HOST ?? '0.0.0.0');

onTermination(
  logger,
  { delayMs: runtime.SHUTDOWN_DELAY_MS, timeoutMs: runtime.SHUTDOWN_TIMEOUT_MS, tracing },
  {
    beginDraining: () => (gateway.lifecycle.draining = true),
    inFlight: () => gateway.lifecycle.inFlight,
    close: () => gateway.close(),
  },
);
