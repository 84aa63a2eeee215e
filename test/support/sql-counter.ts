import { AsyncLocalStorage } from 'node:async_hooks';
import type { MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { USED_TOKEN_TABLE } from '../../platform/replay-guard.js';

/**
 * Counts the SQL statements an ORM sends while `work` runs, for the data asked: the one statement that records
 * each call's signature as used (replay-guard.ts) is the same for every call and not counted. `within`: only
 * statements sent from `work`'s own async context (in-process executeOperation), not a settle job or sweep running
 * on the same ORM meanwhile; over HTTP the server's context is another one, so leave it off there.
 */
export async function countStatements(
  orm: MikroORM<PostgreSqlDriver>,
  work: () => Promise<unknown>,
  { within: onlyWithin = false } = {},
): Promise<number> {
  const knex = orm.em.getConnection().getKnex();
  let count = 0;
  const within = new AsyncLocalStorage<true>();
  const onQuery = ({ sql }: { sql: string }) =>
    void ((!onlyWithin || within.getStore()) && !sql.includes(USED_TOKEN_TABLE) ? count++ : undefined);
  knex.on('query', onQuery);
  try {
    await within.run(true, work);
  } finally {
    knex.off('query', onQuery);
  }
  return count;
}
