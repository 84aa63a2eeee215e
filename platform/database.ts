import { MikroORM, type Constructor, type MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import { ensureDatabase } from './database-admin.js';
import { replayGuardMigration, USED_TOKEN_TABLE } from './replay-guard.js';

export interface OrmOptions {
  clientUrl: string;
  entities: Constructor[];
  migrations: MigrationObject[];
  debug?: boolean;
  poolMax?: number;
  /** Where ORM and migrator messages go (default: nowhere). */
  logger?: Logger;
  /** Apply the committed migrations now (default); false when a migration Job applied them before the rollout. */
  migrate?: boolean;
}

/** Opens the ORM and applies the subgraph's committed migrations (never `schema:update`). */
export async function openDatabase(options: OrmOptions): Promise<MikroORM<PostgreSqlDriver>> {
  await ensureDatabase(options.clientUrl);
  const orm = await MikroORM.init<PostgreSqlDriver>({
    driver: PostgreSqlDriver,
    clientUrl: options.clientUrl,
    entities: options.entities,
    extensions: [Migrator],
    // Every subgraph database also holds the tables of the shared plumbing (no entity maps them).
    migrations: {
      migrationsList: [...options.migrations, replayGuardMigration],
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    schemaGenerator: { skipTables: [USED_TOKEN_TABLE] },
    pool: { min: 0, max: options.poolMax ?? 10 },
    debug: options.debug ?? false,
    logger: (message) => options.logger?.debug(message),
    allowGlobalContext: false,
    forceUtcTimezone: true,
    discovery: { warnWhenNoEntities: true },
  });
  if (options.migrate !== false) await migrateExclusively(orm, options.clientUrl);
  return orm;
}

/** Lock id of "migrating this database" (a session-level advisory lock, per database). */
const MIGRATION_LOCK = 400_499;

/**
 * Applies pending migrations while holding an advisory lock on a connection of its own, so replicas starting
 * together and a migration Job never run the same migration twice; the later ones find nothing to do.
 */
export async function migrateExclusively(orm: MikroORM<PostgreSqlDriver>, clientUrl: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: clientUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.getMigrator().up();
    return applied.map((migration) => migration.name);
  } finally {
    await lock.end(); // ending the session releases the lock
  }
}
