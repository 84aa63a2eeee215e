import { describe, expect, it } from 'vitest';
import { Payment } from '../payment/payment.entity.js';
import { Refund, RefundReason, RefundStatus } from '../refund/refund.entity.js';
import { nextRefundStatus, refundedAmountOf } from '../refund/refund.status.js';
import { remainingOf } from '../refund/refund.service.js';

/* The refund's state machine and the one rule for a payment's refunded amount (no database, no provider). */
const { PENDING, SUCCEEDED, FAILED, CANCELED } = RefundStatus;

describe('refund state machine', () => {
  it.each([
    [PENDING, SUCCEEDED, SUCCEEDED],
    [PENDING, FAILED, FAILED],
    [PENDING, CANCELED, CANCELED],
    [SUCCEEDED, FAILED, FAILED], // a card refund the issuer refuses after Stripe accepted it
    [SUCCEEDED, PENDING, SUCCEEDED], // a late "pending" undoes nothing
    [FAILED, PENDING, FAILED],
    [FAILED, SUCCEEDED, FAILED], // final
    [FAILED, CANCELED, FAILED],
    [CANCELED, SUCCEEDED, CANCELED], // final
    [CANCELED, FAILED, CANCELED],
    [SUCCEEDED, SUCCEEDED, SUCCEEDED],
  ])('%s + %s → %s', (current, incoming, next) => {
    expect(nextRefundStatus(current, incoming)).toBe(next);
  });

  it('converges on the same state whatever order the provider’s reads arrive in', () => {
    const reads = [PENDING, SUCCEEDED, FAILED];
    const orders = [reads, [...reads].reverse(), [SUCCEEDED, PENDING, FAILED, PENDING], [FAILED, SUCCEEDED, PENDING]];
    for (const order of orders) expect(order.reduce(nextRefundStatus, PENDING)).toBe(FAILED);
  });
});

describe('refunded amount and what remains', () => {
  const payment = Object.assign(new Payment(), { amount: 2000, refundedAmount: 0, currency: 'EUR' });
  const refund = (amount: number, status: RefundStatus, providerRefundId: string | null = `re_${amount}`) =>
    Object.assign(new Refund(), { amount, status, providerRefundId, reason: RefundReason.REQUESTED_BY_CUSTOMER });

  it('counts succeeded refunds, not pending, failed or canceled ones', () => {
    const refunds = [refund(500, SUCCEEDED), refund(300, PENDING), refund(200, FAILED), refund(100, CANCELED)];
    // The provider counts the pending one (and took the failed one off): 800.
    expect(refundedAmountOf(payment, refunds, 800)).toBe(500);
    // Failed and canceled amounts are refundable again; the pending one is taken.
    expect(remainingOf(payment, refunds)).toBe(2000 - 800);
  });

  it('goes back down when a succeeded refund fails', () => {
    const failed = [refund(800, FAILED)];
    expect(refundedAmountOf(payment, failed, 0)).toBe(0);
    expect(remainingOf(payment, failed)).toBe(2000);
  });

  it('keeps refunds made outside ChargeGraph (the provider’s total) and never exceeds the payment', () => {
    expect(refundedAmountOf(payment, [refund(500, SUCCEEDED)], 1200)).toBe(1200);
    // An unsubmitted refund is not in the provider's total: nothing is subtracted for it.
    expect(refundedAmountOf(payment, [refund(400, PENDING, null)], 700)).toBe(700);
    expect(refundedAmountOf(payment, [], 5000)).toBe(2000);
  });
});
