import type { EntityManager } from '@mikro-orm/postgresql';
import { groupedBy } from '../../../platform/subgraph/context.js';
import { badInput, notFound } from '../../../platform/errors.js';
import { isMinorUnits } from '../../../platform/money.js';
import type { Identity } from '../../../platform/identity.js';
import { requireRefund } from '../access.js';
import { paymentDisputed, paymentNotRefundable, refundExceedsRemaining } from '../errors.js';
import { isUuid } from '../../../platform/ids.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import { OperatorPaymentAccount } from '../account/account.entity.js';
import { ZERO_FEE } from '../payment/fees.js';
import { accountOf, Payment } from '../payment/payment.entity.js';
import { PaymentStatus } from '../payment/payment.status.js';
import { idempotencyKey } from '../provider/idempotency-keys.js';
import { ProviderFailure, type PaymentProvider } from '../provider/payment-provider.js';
import { Books } from '../ledger/books.js';
import { Refund, RefundStatus, type RefundReason } from './refund.entity.js';
import { applyProviderRefund, recountRefunded, requestRefund } from './refund.transitions.js';

export interface RefundRequest {
  paymentId: string;
  /** Minor units; undefined = everything that remains. */
  amount?: number;
  reason: RefundReason;
}

/**
 * Refunds on the operator's own account. Same two steps as a charge, under the session's lock (one payment per
 * session, so it is also the payment's lock and serializes with webhook effects): record the refund (its id gives
 * the key `refund:<refundId>`) and commit, then call the provider.
 */
export class RefundService {
  constructor(
    private readonly orm: Orm,
    private readonly provider: PaymentProvider,
  ) {}

  async refund(identity: Identity, request: RefundRequest): Promise<Refund> {
    const found = isUuid(request.paymentId)
      ? await this.orm.em.fork().findOne(Payment, { id: request.paymentId })
      : null;
    if (!found) throw notFound('Payment', request.paymentId);
    requireRefund(identity, found); // before anything is written
    if (request.amount !== undefined && (!isMinorUnits(request.amount) || request.amount === 0)) {
      throw badInput('A refund amount is a positive integer of minor units.', 'amount');
    }

    const planned = await locked(this.orm, LockNamespace.SESSION, found.sessionId, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: found.id });
      if (payment.status !== PaymentStatus.SUCCEEDED) throw paymentNotRefundable(payment.status);
      // A disputed charge cannot be refunded: the dispute already takes (or took) the money back to the card.
      if (payment.disputeStatus) throw paymentDisputed(payment.disputeStatus);
      const refunds = await tx.find(Refund, { payment }, { orderBy: { id: 'asc' } });
      const books = await Books.open(tx, payment.id);

      // A refund whose provider answer was lost (outage): replay its key first. If this request asks for the
      // same thing, it is the client's retry of that refund.
      for (const unknown of refunds.filter(isUnsubmitted)) {
        await this.submit(payment, unknown, refunds, books);
        if (unknown.reason === request.reason && (request.amount === undefined || request.amount === unknown.amount)) {
          await tx.flush();
          return { refund: unknown, submit: false };
        }
      }

      const remaining = remainingOf(payment, refunds);
      const amount = request.amount ?? remaining;
      if (amount <= 0 || amount > remaining) throw refundExceedsRemaining(remaining, payment.currency);
      const policy =
        (await tx.findOne(OperatorPaymentAccount, { operatorId: payment.operatorId }))?.feePolicy ?? ZERO_FEE;
      const refund = requestRefund(
        payment,
        { amount, reason: request.reason, refundApplicationFee: policy.refundApplicationFee },
        books,
      );
      tx.persist(refund);
      await tx.flush();
      return { refund, submit: true };
    });
    if (!planned.submit) return planned.refund;

    return locked(this.orm, LockNamespace.SESSION, found.sessionId, async (tx) => {
      const refund = await tx.findOneOrFail(Refund, { id: planned.refund.id }, { populate: ['payment'] });
      if (isUnsubmitted(refund))
        await this.submit(
          refund.payment,
          refund,
          await tx.find(Refund, { payment: refund.payment }),
          await Books.open(tx, refund.payment.id),
        );
      await tx.flush();
      return refund;
    });
  }

  private async submit(payment: Payment, refund: Refund, all: Refund[], books: Books): Promise<void> {
    const result = await this.provider.refund(
      {
        paymentIntentId: intentOf(payment),
        account: accountOf(payment),
        amount: refund.amount,
        reason: refund.reason,
        refundApplicationFee: refund.refundApplicationFee,
        refundId: refund.id,
      },
      idempotencyKey.refund(refund.id),
    );
    applyProviderRefund(payment, refund, result, books);
    await this.recountRefunded(payment, all, result.chargeId, books);
  }

  /**
   * Applies the provider's current state of one refund of `payment` (re-fetched: an event's copy may be stale) and
   * recounts the payment's refunded amount. Runs under the session's lock. A refund made outside ChargeGraph has no
   * row here and only moves the amount. Returns whether anything changed.
   */
  async settle(tx: EntityManager, payment: Payment, providerRefundId: string): Promise<boolean> {
    const current = await this.provider.retrieveRefund(providerRefundId, accountOf(payment));
    const refunds = await tx.find(Refund, { payment }, { orderBy: { id: 'asc' } });
    const books = await Books.open(tx, payment.id);
    const refund =
      refunds.find((r) => r.providerRefundId === current.id) ??
      refunds.find((r) => r.id === current.refundId && !r.providerRefundId) ??
      null;
    const moved = applyProviderRefund(payment, refund, current, books);
    const recounted = await this.recountRefunded(payment, refunds, current.chargeId, books);
    await tx.flush();
    return moved || recounted;
  }

  /**
   * Recounts the refunded amount by the one rule (refund.status.ts) and the application fee given back, from the
   * provider's fresh charge. True when either changed.
   */
  async recountRefunded(payment: Payment, refunds: Refund[], chargeId: string | null, books: Books): Promise<boolean> {
    if (!chargeId) return false;
    const charge = await this.provider.retrieveCharge(chargeId, accountOf(payment));
    return recountRefunded(payment, refunds, charge, books);
  }

  /**
   * The way out for refunds no event settled: each one still PENDING after `olderThanMs` is settled by the
   * provider's current state, and one never submitted (the provider's answer was lost) is sent again with its
   * idempotency key (a refund the provider did create comes back as that same refund). Provider outages leave them
   * for the next sweep.
   */
  async sweepPending(now: Date, olderThanMs: number, limit = 100): Promise<RefundSweepReport> {
    const report: RefundSweepReport = { settled: 0, resubmitted: 0, unchanged: 0, deferred: 0, failed: [] };
    const stale = await this.orm.em
      .fork()
      .find(
        Refund,
        { status: RefundStatus.PENDING, updatedAt: { $lt: new Date(now.getTime() - olderThanMs) } },
        { populate: ['payment'], orderBy: { updatedAt: 'asc' }, limit },
      );
    for (const found of stale) {
      try {
        const outcome = await locked(this.orm, LockNamespace.SESSION, found.payment.sessionId, async (tx) => {
          const refund = await tx.findOneOrFail(Refund, { id: found.id }, { populate: ['payment'] });
          if (refund.status !== RefundStatus.PENDING) return 'unchanged';
          if (isUnsubmitted(refund)) {
            await this.submit(
              refund.payment,
              refund,
              await tx.find(Refund, { payment: refund.payment }),
              await Books.open(tx, refund.payment.id),
            );
            await tx.flush();
            return 'resubmitted';
          }
          const changed = await this.settle(tx, refund.payment, refund.providerRefundId ?? '');
          // Still pending at the provider: touched, so the next look comes after another `olderThanMs`.
          if (!changed) refund.updatedAt = now;
          await tx.flush();
          return changed ? 'settled' : 'unchanged';
        });
        report[outcome] += 1;
      } catch (error) {
        // One refund the provider refuses to talk about must not hold up the others; the sweeper logs it.
        if (error instanceof ProviderFailure && error.kind === 'unavailable') report.deferred += 1;
        else report.failed.push({ refundId: found.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return report;
  }
}

export interface RefundSweepReport {
  /** PENDING refunds moved on by the provider's state (succeeded, failed, canceled). */
  settled: number;
  /** Refunds whose provider call was lost, sent again with their key. */
  resubmitted: number;
  /** Still pending at the provider. */
  unchanged: number;
  /** The provider was unavailable: left for the next sweep. */
  deferred: number;
  /** Anything else (logged by the sweeper; tried again next sweep). */
  failed: Array<{ refundId: string; error: string }>;
}

const isUnsubmitted = (refund: Refund) => refund.status === RefundStatus.PENDING && !refund.providerRefundId;

/**
 * What can still be refunded: refunds in flight count as taken, failed and canceled ones do not (their amount is
 * free again). Refunds made outside ChargeGraph arrive via webhook in `refundedAmount`.
 */
export function remainingOf(payment: Payment, refunds: Refund[]): number {
  const taken = refunds
    .filter((r) => r.status === RefundStatus.PENDING || r.status === RefundStatus.SUCCEEDED)
    .reduce((sum, r) => sum + r.amount, 0);
  return Math.max(0, (payment.amount ?? 0) - Math.max(payment.refundedAmount, taken));
}

function intentOf(payment: Payment): string {
  if (!payment.paymentIntentId) throw paymentNotRefundable('settled without a card payment');
  return payment.paymentIntentId;
}

export const refundsByPayment = groupedBy(
  (ctx, paymentIds) => ctx.em.find(Refund, { payment: { $in: paymentIds } }, { orderBy: { id: 'asc' } }),
  (refund) => refund.payment.id,
);
