import { groupedBy } from '../../../platform/subgraph/context.js';
import { badInput, notFound } from '../../../platform/errors.js';
import type { Identity } from '../../../platform/identity.js';
import { requireRefund } from '../access.js';
import { paymentNotRefundable, refundExceedsRemaining } from '../errors.js';
import { isUuid } from '../../../platform/ids.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import { OperatorPaymentAccount } from '../account/account.entity.js';
import { ZERO_FEE } from '../payment/fees.js';
import { Payment } from '../payment/payment.entity.js';
import { accountOf } from '../payment/payment.service.js';
import { PaymentStatus } from '../payment/payment.status.js';
import { idempotencyKey } from '../stripe/keys.js';
import type { PaymentProvider } from '../stripe/provider.js';
import { Refund, RefundStatus, type RefundReason } from './refund.entity.js';

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
    if (request.amount !== undefined && (!Number.isSafeInteger(request.amount) || request.amount <= 0)) {
      throw badInput('A refund amount is a positive integer of minor units.', 'amount');
    }

    const planned = await locked(this.orm, LockNamespace.SESSION, found.sessionId, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: found.id });
      if (payment.status !== PaymentStatus.SUCCEEDED) throw paymentNotRefundable(payment.status);
      const refunds = await tx.find(Refund, { payment }, { orderBy: { id: 'asc' } });

      // A refund whose provider answer was lost (outage): replay its key first. If this request asks for the
      // same thing, it is the client's retry of that refund.
      for (const unknown of refunds.filter(isUnsubmitted)) {
        await this.submit(payment, unknown, refunds);
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
      const refund = tx.create(Refund, {
        payment,
        amount,
        currency: payment.currency,
        reason: request.reason,
        refundApplicationFee: policy.refundApplicationFee,
      });
      await tx.flush();
      return { refund, submit: true };
    });
    if (!planned.submit) return planned.refund;

    return locked(this.orm, LockNamespace.SESSION, found.sessionId, async (tx) => {
      const refund = await tx.findOneOrFail(Refund, { id: planned.refund.id }, { populate: ['payment'] });
      if (isUnsubmitted(refund))
        await this.submit(refund.payment, refund, await tx.find(Refund, { payment: refund.payment }));
      await tx.flush();
      return refund;
    });
  }

  private async submit(payment: Payment, refund: Refund, all: Refund[]): Promise<void> {
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
    refund.providerRefundId = result.id;
    refund.status = result.status;
    // Monotone: a charge.refunded webhook may already have counted it (it sets max(refunded, provider total)).
    const succeeded = all.filter((r) => r.status === RefundStatus.SUCCEEDED).reduce((sum, r) => sum + r.amount, 0);
    payment.refundedAmount = Math.max(payment.refundedAmount, succeeded);
  }
}

const isUnsubmitted = (refund: Refund) => refund.status === RefundStatus.PENDING && !refund.providerRefundId;

/** What can still be refunded: refunds in flight count as taken. Refunds made outside ChargeGraph arrive via webhook. */
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
