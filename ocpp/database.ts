import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { migrateExclusively } from '../platform/database.js';
import { ensureDatabase } from '../platform/database-admin.js';
import { replayGuardMigration } from '../platform/replay-guard.js';

/**
 * The OCPP process's own database (`<DATABASE_PREFIX>_ocpp`): no entities, only the used-token table of the replay
 * guard that protects POST /commands, applied by the same migration (and lock) as in every subgraph database.
 */
export async function openOcppDatabase(
  clientUrl: string,
  logger: Logger,
  options: { migrate?: boolean; poolMax?: number } = {},
): Promise<MikroORM<PostgreSqlDriver>> {
  await ensureDatabase(clientUrl);
  const orm = await MikroORM.init<PostgreSqlDriver>({
    driver: PostgreSqlDriver,
    clientUrl,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: { migrationsList: [replayGuardMigration], transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: options.poolMax ?? 4 },
    logger: (message) => logger.debug(message),
    allowGlobalContext: false,
    forceUtcTimezone: true,
  });
  if (options.migrate !== false) await migrateExclusively(orm, clientUrl);
  return orm;
}
