import {
  ChangeSetType,
  type EntityManager,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
} from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { Bus } from '../../../platform/bus.js';
import { Payment } from '../payment/payment.entity.js';
import { Refund } from '../refund/refund.entity.js';

/**
 * Publishes `session_changed {id}` on the bus after every COMMITTED change of a session's payment (hold placed or
 * declined, captured, charged, failed, canceled, raised, refunded, webhook effects, sweeper flags), whichever path
 * wrote it: it watches the flushes of Payment and Refund rows instead of every call site remembering to publish.
 * Inside a transaction (`locked`) the ids wait for its commit and are dropped on rollback, so subscribers never hear
 * of a change that did not happen; a flush outside one has committed by the time `afterFlush` runs. A failed publish
 * is logged: the change itself stands (bus messages are hints; readers fetch the truth).
 */
export class SessionChangePublisher implements EventSubscriber {
  private readonly pending = new WeakMap<EntityManager, Set<string>>();

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async afterFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const ids = new Set<string>();
    for (const changeSet of uow.getChangeSets()) {
      if (changeSet.type === ChangeSetType.UPDATE && Object.keys(changeSet.payload).length === 0) continue;
      const entity: unknown = changeSet.entity;
      const sessionId =
        entity instanceof Payment ? entity.sessionId : entity instanceof Refund ? entity.payment.sessionId : undefined;
      if (typeof sessionId === 'string') ids.add(sessionId);
    }
    if (!ids.size) return;
    if (!em.isInTransaction()) return this.publish(ids);
    const waiting = this.pending.get(em) ?? new Set<string>();
    for (const id of ids) waiting.add(id);
    this.pending.set(em, waiting);
  }

  async afterTransactionCommit({ em }: TransactionEventArgs): Promise<void> {
    const ids = this.pending.get(em);
    this.pending.delete(em);
    if (ids?.size) await this.publish(ids);
  }

  afterTransactionRollback({ em }: TransactionEventArgs): void {
    this.pending.delete(em);
  }

  private async publish(ids: Set<string>): Promise<void> {
    await Promise.all(
      [...ids].map((id) =>
        this.bus
          .publish('session_changed', { id })
          .catch((error: unknown) => this.logger.warn({ err: error, sessionId: id }, 'session_changed not published')),
      ),
    );
  }
}
