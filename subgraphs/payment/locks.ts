import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager, PostgreSqlDriver } from '@mikro-orm/postgresql';

/**
 * Namespaces of the two-key advisory locks `pg_advisory_xact_lock(namespace, hashtext(id))`. A hash collision only
 * serializes two unrelated ids for a moment; it never lets two holders in.
 */
export const LockNamespace = {
  /** Everything that decides or changes a session's payment: hold, charge, refunds, webhook effects. */
  SESSION: 400_401,
  /** Creating an operator's connected account; applying its provider state. */
  OPERATOR_ACCOUNT: 400_402,
  /** Creating a driver's Customer; saving their cards. */
  DRIVER: 400_403,
  /** Issuing a payment's receipt (taken before the operator's receipt counter row). */
  RECEIPT: 400_404,
} as const;
export type LockNamespace = (typeof LockNamespace)[keyof typeof LockNamespace];

export type Orm = MikroORM<PostgreSqlDriver>;

/**
 * Runs `work` in its own transaction (a fresh EntityManager: nothing stale from the caller's identity map) after
 * taking the transaction-level advisory lock; the lock is released by COMMIT or ROLLBACK, also when the process dies.
 * Work that needs its rows durable BEFORE a provider call commits them in one `locked` call and calls the
 * provider in the next (see payment.service.ts).
 */
export function locked<T>(
  orm: Orm,
  namespace: LockNamespace,
  id: string,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return orm.em.fork().transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(?, hashtext(?))', [namespace, id]);
    return work(em);
  });
}
