/**
 * `chargegraph migrate ocpp`: the OCPP process's own database (`<DATABASE_PREFIX>_ocpp`, the used-token table that
 * guards its signed POST /commands) migrated by the Kubernetes Job before a rollout, as the subgraphs' are (the pods
 * run with MIGRATE_ON_START=false).
 */
import { ocppDatabaseUrl } from '../ocpp/config.js';
import { openOcppDatabase } from '../ocpp/database.js';
import { loadOrExit } from '../platform/process-lifecycle.js';
import { createProcessLogger } from '../platform/observability.js';
import { loadProcessConfig } from '../platform/runtime-config.js';

export async function migrateOcpp(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { config } = loadOrExit(() => loadProcessConfig(env));
  const logger = createProcessLogger('migrate', config.LOG_LEVEL);
  const started = performance.now();
  const orm = await openOcppDatabase(ocppDatabaseUrl(config), logger, { migrate: true, poolMax: 2 });
  await orm.close(true);
  logger.info({ database: 'ocpp', ms: Math.round(performance.now() - started) }, 'OCPP database up to date');
}
