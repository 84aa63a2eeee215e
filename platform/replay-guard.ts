import type { MigrationObject, MikroORM } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';

/** Table of used token ids, in every subgraph's database; no entity maps it (see database.ts's skipTables). */
export const USED_TOKEN_TABLE = 'used_identity_token';

/**
 * Remembers which signed identities (by `jti`) a subgraph has already accepted, until they expire, so a captured
 * request cannot be sent again — to this replica or any other: the record is in the subgraph's PostgreSQL.
 */
export class ReplayGuard {
  private readonly purgeTimer: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM<PostgreSqlDriver>,
    private readonly logger: Logger,
    purgeEveryMs = 60_000,
  ) {
    this.purgeTimer = setInterval(
      () =>
        void this.purgeExpired().catch((error: unknown) =>
          this.logger.warn({ err: error }, 'could not purge used token ids'),
        ),
      purgeEveryMs,
    );
    this.purgeTimer.unref();
  }

  /** True the first time a token id is presented; false for every later presentation while it is remembered. */
  async firstUse(tokenId: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.orm.em
      .getConnection()
      .execute(
        `insert into "${USED_TOKEN_TABLE}" ("jti", "expires_at") values (?, ?) on conflict do nothing returning "jti"`,
        [tokenId, expiresAt],
      );
    return rows.length === 1;
  }

  /** Expired ids can go: their tokens are refused on age before this table is consulted. */
  async purgeExpired(): Promise<number> {
    const result = await this.orm.em
      .getConnection()
      .execute(`delete from "${USED_TOKEN_TABLE}" where "expires_at" < now()`, [], 'run');
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  close(): void {
    clearInterval(this.purgeTimer);
  }
}

/**
 * Unlogged: no WAL per request. A database crash empties it, which reopens the replay window for the tokens of the
 * last two minutes at most — the same lifetime bound that applies if the table did not exist.
 */
class UsedIdentityTokenMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create unlogged table "${USED_TOKEN_TABLE}" ("jti" text not null, "expires_at" timestamptz not null, constraint "${USED_TOKEN_TABLE}_pkey" primary key ("jti"));`,
    );
    this.addSql(`create index "${USED_TOKEN_TABLE}_expires_at_index" on "${USED_TOKEN_TABLE}" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "${USED_TOKEN_TABLE}";`);
  }
}

/** Shared by every subgraph's database, applied after its own migrations. */
export const replayGuardMigration: MigrationObject = {
  name: 'Migration20261124130000_used_identity_token',
  class: UsedIdentityTokenMigration,
};
