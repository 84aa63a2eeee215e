import type { Payment } from '../payment/payment.entity.js';
import { RefundStatus, type Refund } from './refund.entity.js';

/*
 * The refund's state machine. The provider's reads and events arrive late, twice or out of order; each one is
 * applied through `nextRefundStatus`, which only moves forward, so they converge on the provider's latest state:
 * PENDING → SUCCEEDED → FAILED (a card refund the issuer refuses after it was accepted), PENDING → FAILED | CANCELED.
 * FAILED and CANCELED are final.
 */

const RANK: Record<RefundStatus, number> = {
  [RefundStatus.PENDING]: 0,
  [RefundStatus.SUCCEEDED]: 1,
  [RefundStatus.FAILED]: 2,
  [RefundStatus.CANCELED]: 2,
};

export function nextRefundStatus(current: RefundStatus, incoming: RefundStatus): RefundStatus {
  return RANK[incoming] > RANK[current] ? incoming : current;
}

const sumOf = (refunds: Refund[]) => refunds.reduce((sum, r) => sum + r.amount, 0);

/**
 * The one rule for `payment.refundedAmount`: what the provider reports as refunded on the charge (so refunds made
 * outside ChargeGraph count), less ours it still reports as in flight (it counts a pending refund at once), and never
 * less than our own succeeded refunds. A failed or canceled refund is in neither: the provider takes it off its
 * total, so the payment's refunded amount goes back down.
 */
export function refundedAmountOf(payment: Payment, refunds: Refund[], providerRefunded: number): number {
  const succeeded = sumOf(refunds.filter((r) => r.status === RefundStatus.SUCCEEDED));
  // Only what reached the provider is in its total (an unsubmitted refund is not).
  const inFlight = sumOf(refunds.filter((r) => r.status === RefundStatus.PENDING && r.providerRefundId));
  const refunded = Math.max(succeeded, providerRefunded - inFlight);
  return Math.min(Math.max(0, refunded), payment.amount ?? refunded);
}
