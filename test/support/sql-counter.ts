import type { MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { USED_TOKEN_TABLE } from '../../platform/replay-guard.js';

/**
 * Counts the SQL statements an ORM sends while `work` runs, for the data asked: the one statement that records
 * each call's signature as used (replay-guard.ts) is the same for every call and not counted.
 */
export async function countStatements(orm: MikroORM<PostgreSqlDriver>, work: () => Promise<unknown>): Promise<number> {
  const knex = orm.em.getConnection().getKnex();
  let count = 0;
  const onQuery = ({ sql }: { sql: string }) => void (sql.includes(USED_TOKEN_TABLE) ? undefined : count++);
  knex.on('query', onQuery);
  try {
    await work();
  } finally {
    knex.off('query', onQuery);
  }
  return count;
}
