import { Books } from '../ledger/books.js';
import { LedgerEntryKind as K } from '../ledger/ledger-entry.entity.js';
import type { ProviderCharge, ProviderIntent } from '../provider/payment-provider.js';
import type { Payment } from './payment.entity.js';
import { AttemptKind, assertTransition, canStartNewAttempt, canTransition, PaymentStatus } from './payment.status.js';

/*
 * The only code that writes a payment's status or money fields (test/architecture/money-writes.test.ts holds every
 * other file to that). Each function books what it did in the ledger (`Books`, flushed with the same transaction),
 * so the row is the read model of its entries. The caller holds the session's lock; the row's optimistic version
 * guards the UPDATE; the state machine (payment.status.ts) decides.
 */

export interface AttemptPlan {
  kind: AttemptKind;
  providerAccountId: string;
  currency: string;
  authorizedAmount: number | null;
  /** Final amount and fee: null for a hold until the session is priced. */
  amount: number | null;
  applicationFeeAmount: number | null;
  card: { id: string; brand: string; last4: string } | null;
}

/** Fills a fresh row, or opens the next attempt (attempt + 1, fresh idempotency keys) after FAILED/CANCELED. */
export function openAttempt(payment: Payment, plan: AttemptPlan, reopen: boolean, books: Books): void {
  if (reopen) {
    if (!canStartNewAttempt(payment.status))
      throw new Error(`payment state machine: no new attempt from ${payment.status}`);
    payment.attempt += 1;
  }
  payment.status = PaymentStatus.PENDING;
  payment.kind = plan.kind;
  payment.paymentIntentId = null;
  payment.providerAccountId = plan.providerAccountId;
  payment.currency = plan.currency;
  payment.authorizedAmount = plan.authorizedAmount;
  payment.amount = plan.amount;
  payment.applicationFeeAmount = plan.applicationFeeAmount;
  payment.savedPaymentMethodId = plan.card?.id ?? null;
  payment.cardBrand = plan.card?.brand ?? null;
  payment.cardLast4 = plan.card?.last4 ?? null;
  payment.failureCode = null;
  payment.failureMessage = null;
  payment.needsAttention = false;
  payment.attentionReason = null;
  books.book(payment, K.ATTEMPT_OPENED, plan.authorizedAmount ?? plan.amount ?? 0, { code: plan.kind });
}

/**
 * Applies the provider's current view of an intent; true when it changed the payment. Ignored when the intent
 * belongs to another attempt (a superseded hold, an earlier failed attempt) or when it would move the payment
 * backwards (late or replayed webhooks) — that is what makes webhook order irrelevant. The money a success moves
 * is booked by `applySettlement`, from the provider's balance transaction.
 */
export function applyIntent(payment: Payment, intent: ProviderIntent, books: Books, now = new Date()): boolean {
  if (
    payment.paymentIntentId
      ? payment.paymentIntentId !== intent.id
      : intent.attempt !== payment.attempt || intent.paymentId !== payment.id
  )
    return false;
  const status = PaymentStatus[intent.status];
  if (!canTransition(payment.status, status)) return false;
  if (payment.status === status && payment.paymentIntentId === intent.id)
    return status === PaymentStatus.AUTHORIZED && raiseAuthorization(payment, intent.amountCapturable, books);
  const from = payment.status;
  payment.paymentIntentId = intent.id;
  payment.status = status;
  const ref = { providerObjectId: intent.id };
  switch (status) {
    case PaymentStatus.REQUIRES_ACTION:
      books.book(payment, K.ACTION_REQUIRED, intent.amount, ref);
      break;
    case PaymentStatus.AUTHORIZED:
      books.book(payment, K.HOLD_PLACED, intent.amountCapturable, ref);
      break;
    case PaymentStatus.SUCCEEDED: {
      payment.amount = intent.amountReceived;
      payment.applicationFeeAmount = intent.applicationFeeAmount ?? 0;
      payment.capturedAt ??= now;
      const released = payment.kind === AttemptKind.HOLD ? (payment.authorizedAmount ?? 0) - intent.amountReceived : 0;
      if (released > 0) books.book(payment, K.HOLD_RELEASED, released, ref);
      break;
    }
    case PaymentStatus.FAILED:
      payment.failureCode = intent.failureCode ?? 'payment_failed';
      payment.failureMessage = truncate(intent.failureMessage);
      books.book(payment, K.FAILED, askedOf(payment, intent.amount), { ...ref, code: payment.failureCode });
      break;
    case PaymentStatus.CANCELED:
      books.book(payment, K.HOLD_RELEASED, heldOf(payment, from), ref);
      break;
    case PaymentStatus.PENDING:
      break;
  }
  return true;
}

/**
 * Books the money a succeeded payment moved, from the provider's charge and its balance transaction: the amount
 * captured or charged, the platform's application fee and the provider's fee. Safe to repeat: a balance transaction
 * is booked once per kind. True when something was booked.
 */
export function applySettlement(payment: Payment, charge: ProviderCharge, books: Books): boolean {
  if (payment.status !== PaymentStatus.SUCCEEDED || !charge.balanceTransactionId) return false;
  const details = { providerObjectId: charge.id, providerTransactionId: charge.balanceTransactionId };
  const kind = payment.kind === AttemptKind.HOLD ? K.CAPTURED : K.CHARGED;
  const booked = books.book(payment, kind, charge.amountCaptured, details);
  if (charge.applicationFeeAmount > 0)
    books.book(payment, K.APPLICATION_FEE_TAKEN, charge.applicationFeeAmount, details);
  if (charge.providerFee > 0)
    books.book(payment, K.PROVIDER_FEE, charge.providerFee, { ...details, code: 'processing' });
  payment.providerFeeAmount = charge.providerFee;
  return booked;
}

/**
 * The provider raised the hold (incremental authorisation, or a webhook telling us about one whose answer we lost).
 * Only ever up, and only while the hold still waits for its final amount: a capture is never planned above it.
 */
export function raiseAuthorization(payment: Payment, authorized: number, books: Books): boolean {
  if (payment.status !== PaymentStatus.AUTHORIZED || payment.kind !== AttemptKind.HOLD || payment.amount != null)
    return false;
  const before = payment.authorizedAmount ?? 0;
  if (authorized <= before) return false;
  payment.authorizedAmount = authorized;
  books.book(payment, K.HOLD_INCREMENTED, authorized - before, { providerObjectId: payment.paymentIntentId });
  return true;
}

/**
 * Fixes the final amount and fee of a hold before the capture (so a retry sends identical parameters);
 * `uncollected` is what the session cost above the hold (the capture is capped there).
 */
export function fixAmount(
  payment: Payment,
  amount: { amount: number; applicationFeeAmount: number; uncollected: number },
  books: Books,
): void {
  if (payment.amount != null) throw new Error(`payment ${payment.id}: its amount is already fixed`);
  payment.amount = amount.amount;
  payment.applicationFeeAmount = amount.applicationFeeAmount;
  books.book(payment, K.AMOUNT_FIXED, amount.amount);
  if (amount.uncollected > 0) books.book(payment, K.UNCOLLECTED, amount.uncollected);
}

/** A session priced at zero: nothing to collect. The payment is settled with amount 0 and no fee. */
export function settleAtZero(payment: Payment, books: Books, now = new Date()): void {
  assertTransition(payment.status, PaymentStatus.SUCCEEDED);
  const held = heldOf(payment, payment.status);
  payment.status = PaymentStatus.SUCCEEDED;
  payment.amount = 0;
  payment.applicationFeeAmount = 0;
  payment.capturedAt ??= now;
  if (held > 0) books.book(payment, K.HOLD_RELEASED, held, { providerObjectId: payment.paymentIntentId });
}

export function markCanceled(payment: Payment, books: Books): void {
  assertTransition(payment.status, PaymentStatus.CANCELED);
  const held = heldOf(payment, payment.status);
  payment.status = PaymentStatus.CANCELED;
  books.book(payment, K.HOLD_RELEASED, held, { providerObjectId: payment.paymentIntentId });
}

export function markFailed(payment: Payment, failureCode: string, failureMessage: string | null, books: Books): void {
  assertTransition(payment.status, PaymentStatus.FAILED);
  payment.status = PaymentStatus.FAILED;
  payment.failureCode = failureCode.slice(0, 100);
  payment.failureMessage = truncate(failureMessage);
  books.book(payment, K.FAILED, askedOf(payment, 0), {
    providerObjectId: payment.paymentIntentId,
    code: payment.failureCode,
  });
}

/**
 * A completed session the sweeper could not charge before any attempt (no card, operator not payable): a fresh
 * row with attempt 0 records the amount due and why; a later chargeSession opens attempt 1 from it.
 */
export function recordUnbillable(payment: Payment, amountDue: number | null, reason: string, books: Books): void {
  if (payment.status !== PaymentStatus.PENDING || payment.paymentIntentId)
    throw new Error(`payment ${payment.id}: only a fresh row is recorded as unbillable`);
  payment.attempt = 0;
  payment.amount = amountDue;
  markFailed(payment, reason, null, books);
  flag(payment, reason);
}

export function flag(payment: Payment, reason: string): void {
  payment.needsAttention = true;
  payment.attentionReason = reason.slice(0, 100);
}

/** The refunded totals, recounted by the refund rules (refund/refund.transitions.ts). */
export function setRefunded(payment: Payment, refunded: { amount: number; applicationFee: number }): boolean {
  if (payment.refundedAmount === refunded.amount && payment.applicationFeeRefundedAmount === refunded.applicationFee)
    return false;
  payment.refundedAmount = refunded.amount;
  payment.applicationFeeRefundedAmount = refunded.applicationFee;
  return true;
}

/** The dispute state of the payment as a whole, from its disputes (dispute/dispute.transitions.ts). */
export function setDisputeStatus(payment: Payment, status: Payment['disputeStatus']): boolean {
  if (payment.disputeStatus === status) return false;
  payment.disputeStatus = status;
  return true;
}

/** What an attempt asked for: the final amount, else the hold, else what the provider saw. */
const askedOf = (payment: Payment, fallback: number): number => payment.amount ?? payment.authorizedAmount ?? fallback;

/** What a hold still blocked on the card when it ends without a capture. */
const heldOf = (payment: Payment, from: PaymentStatus): number =>
  payment.kind === AttemptKind.HOLD && (from === PaymentStatus.AUTHORIZED || from === PaymentStatus.REQUIRES_ACTION)
    ? (payment.authorizedAmount ?? 0)
    : 0;

const truncate = (message: string | null | undefined): string | null => (message ? message.slice(0, 500) : null);
