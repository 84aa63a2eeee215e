import type { Books } from '../ledger/books.js';
import { LedgerEntryKind as K } from '../ledger/ledger-entry.entity.js';
import type { Payment } from '../payment/payment.entity.js';
import { setRefunded } from '../payment/payment.transitions.js';
import type { ProviderCharge, ProviderRefund } from '../provider/payment-provider.js';
import { Refund, RefundStatus, type RefundReason } from './refund.entity.js';
import { nextRefundStatus, refundedAmountOf } from './refund.status.js';

/*
 * The only code that writes a refund's status and amounts, and the payment's refunded totals (with
 * payment.transitions.ts). Every change is booked in the ledger in the same transaction, under the session's lock.
 */

/** A refund recorded before its provider call: its id gives the idempotency key `refund:<refundId>`. */
export function requestRefund(
  payment: Payment,
  request: { amount: number; reason: RefundReason; refundApplicationFee: boolean },
  books: Books,
): Refund {
  const refund = Object.assign(new Refund(), {
    payment,
    amount: request.amount,
    currency: payment.currency,
    reason: request.reason,
    refundApplicationFee: request.refundApplicationFee,
  });
  books.book(payment, K.REFUND_REQUESTED, refund.amount, { refundId: refund.id, code: request.reason });
  return refund;
}

/**
 * The provider's state of one refund of `payment` (ours, or `null` for one made outside ChargeGraph, which still
 * moved money), through the forward-only state machine; late reads never go back. Money is booked from the
 * provider's balance transactions: the debit once the provider took the refund, the credit if it failed after that.
 */
export function applyProviderRefund(
  payment: Payment,
  refund: Refund | null,
  current: ProviderRefund,
  books: Books,
): boolean {
  const details = { refundId: refund?.id ?? null, providerObjectId: current.id };
  let changed = false;
  if (current.transactionId)
    changed =
      books.book(payment, K.REFUND_DEBITED, current.amount, {
        ...details,
        providerTransactionId: current.transactionId,
      }) || changed;
  if (!refund) {
    if (current.failureTransactionId)
      changed =
        books.book(payment, K.REFUND_FAILED, current.amount, {
          ...details,
          providerTransactionId: current.failureTransactionId,
          code: current.failureReason,
        }) || changed;
    return changed;
  }
  if (!refund.providerRefundId) {
    refund.providerRefundId = current.id;
    changed = true;
  }
  const next = nextRefundStatus(refund.status, RefundStatus[current.status]);
  if (next === refund.status) return changed;
  refund.status = next;
  if (next === RefundStatus.SUCCEEDED) books.book(payment, K.REFUND_SUCCEEDED, refund.amount, details);
  if (next === RefundStatus.FAILED) {
    refund.failureReason ??= current.failureReason ?? 'unknown';
    // Debited then failed: the money came back (its own balance transaction). Never debited: nothing moved.
    if (current.failureTransactionId)
      books.book(payment, K.REFUND_FAILED, refund.amount, {
        ...details,
        providerTransactionId: current.failureTransactionId,
        code: refund.failureReason,
      });
    else books.book(payment, K.REFUND_CANCELED, refund.amount, { ...details, code: refund.failureReason });
  }
  if (next === RefundStatus.CANCELED) books.book(payment, K.REFUND_CANCELED, refund.amount, details);
  return true;
}

/**
 * Recounts the payment's refunded amount by the one rule (refund.status.ts) and the application fee the platform
 * gave back, from the provider's fresh charge; the fee given back since the last count is booked.
 */
export function recountRefunded(payment: Payment, refunds: Refund[], charge: ProviderCharge, books: Books): boolean {
  const feeBack = charge.applicationFeeRefunded - books.sum(K.APPLICATION_FEE_REFUNDED);
  if (feeBack > 0) books.book(payment, K.APPLICATION_FEE_REFUNDED, feeBack, { providerObjectId: charge.id });
  return setRefunded(payment, {
    amount: refundedAmountOf(payment, refunds, charge.amountRefunded),
    applicationFee: charge.applicationFeeRefunded,
  });
}
