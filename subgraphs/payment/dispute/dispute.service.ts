import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { groupedBy } from '../../../platform/subgraph/context.js';
import { Books } from '../ledger/books.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import { accountOf, type Payment } from '../payment/payment.entity.js';
import { DisputeStatus } from '../payment/payment.status.js';
import { ProviderFailure, type PaymentProvider } from '../provider/payment-provider.js';
import { Dispute } from './dispute.entity.js';
import { applyProviderDispute } from './dispute.transitions.js';

/**
 * Disputes of our payments: applied from the provider's current state of the dispute (re-fetched; an event's copy
 * may be stale), under the session's lock. A lost event is caught up by the sweeper (`sweepOpen`).
 */
export class DisputeService {
  constructor(
    private readonly orm: Orm,
    private readonly provider: PaymentProvider,
    private readonly logger: Logger,
  ) {}

  /** Applies the provider's state of one dispute of `payment`; true when anything changed. */
  async settle(tx: EntityManager, payment: Payment, providerDisputeId: string): Promise<boolean> {
    const current = await this.provider.retrieveDispute(providerDisputeId, accountOf(payment));
    const existing = await tx.findOne(Dispute, { providerDisputeId });
    const { dispute, changed } = applyProviderDispute(payment, existing, current, await Books.open(tx, payment.id));
    if (!existing) {
      tx.persist(dispute);
      this.logger.warn(
        { paymentId: payment.id, disputeId: dispute.id, amount: dispute.amount, reason: dispute.reason },
        'payment disputed',
      );
    }
    await tx.flush();
    return changed;
  }

  /** The way out for disputes whose closing event never arrived: open ones untouched for `olderThanMs` are re-read. */
  async sweepOpen(now: Date, olderThanMs: number, limit = 100): Promise<{ settled: number; deferred: number }> {
    const report = { settled: 0, deferred: 0 };
    const stale = await this.orm.em
      .fork()
      .find(
        Dispute,
        { status: DisputeStatus.OPEN, updatedAt: { $lt: new Date(now.getTime() - olderThanMs) } },
        { populate: ['payment'], orderBy: { updatedAt: 'asc' }, limit },
      );
    for (const found of stale) {
      try {
        await locked(this.orm, LockNamespace.SESSION, found.payment.sessionId, async (tx) => {
          const dispute = await tx.findOneOrFail(Dispute, { id: found.id }, { populate: ['payment'] });
          if (!(await this.settle(tx, dispute.payment, dispute.providerDisputeId))) dispute.updatedAt = now;
          await tx.flush();
        });
        report.settled += 1;
      } catch (error) {
        if (!(error instanceof ProviderFailure && error.kind === 'unavailable')) throw error;
        report.deferred += 1;
      }
    }
    return report;
  }
}

export const disputesByPayment = groupedBy(
  (ctx, paymentIds) => ctx.em.find(Dispute, { payment: { $in: paymentIds } }, { orderBy: { id: 'asc' } }),
  (dispute) => dispute.payment.id,
);
