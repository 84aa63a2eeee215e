import type { ProviderIntent } from '../stripe/provider.js';
import type { Payment } from './payment.entity.js';
import { AttemptKind, assertTransition, canStartNewAttempt, canTransition, PaymentStatus } from './payment.status.js';

/*
 * Every change of a payment's status goes through these functions: the state machine decides, the caller holds the
 * session lock, and the row's optimistic version guards the UPDATE.
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
export function openAttempt(payment: Payment, plan: AttemptPlan, reopen: boolean): void {
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
}

/**
 * Applies the provider's current view of an intent; true when it changed the payment. Ignored when the intent
 * belongs to another attempt (a superseded hold, an earlier failed attempt) or when it would move the payment
 * backwards (late or replayed webhooks) — that is what makes webhook order irrelevant.
 */
export function applyIntent(payment: Payment, intent: ProviderIntent, now = new Date()): boolean {
  if (
    payment.paymentIntentId
      ? payment.paymentIntentId !== intent.id
      : intent.attempt !== payment.attempt || intent.paymentId !== payment.id
  )
    return false;
  if (!canTransition(payment.status, intent.status)) return false;
  if (payment.status === intent.status && payment.paymentIntentId === intent.id)
    return intent.status === PaymentStatus.AUTHORIZED && raiseAuthorization(payment, intent.amountCapturable);
  payment.paymentIntentId = intent.id;
  payment.status = intent.status;
  if (intent.status === PaymentStatus.SUCCEEDED) {
    payment.amount = intent.amountReceived;
    payment.applicationFeeAmount = intent.applicationFeeAmount ?? 0;
    payment.capturedAt ??= now;
  }
  if (intent.status === PaymentStatus.FAILED) {
    payment.failureCode = intent.failureCode ?? 'payment_failed';
    payment.failureMessage = truncate(intent.failureMessage);
  }
  return true;
}

/**
 * The provider raised the hold (incremental authorisation, or a webhook telling us about one whose answer we lost).
 * Only ever up, and only while the hold still waits for its final amount: a capture is never planned above it.
 */
export function raiseAuthorization(payment: Payment, authorized: number): boolean {
  if (payment.status !== PaymentStatus.AUTHORIZED || payment.kind !== AttemptKind.HOLD || payment.amount != null)
    return false;
  if (authorized <= (payment.authorizedAmount ?? 0)) return false;
  payment.authorizedAmount = authorized;
  return true;
}

/** A session priced at zero: nothing to collect. The payment is settled with amount 0 and no fee. */
export function settleAtZero(payment: Payment, now = new Date()): void {
  assertTransition(payment.status, PaymentStatus.SUCCEEDED);
  payment.status = PaymentStatus.SUCCEEDED;
  payment.amount = 0;
  payment.applicationFeeAmount = 0;
  payment.capturedAt ??= now;
}

export function markCanceled(payment: Payment): void {
  assertTransition(payment.status, PaymentStatus.CANCELED);
  payment.status = PaymentStatus.CANCELED;
}

export function markFailed(payment: Payment, failureCode: string, failureMessage: string | null): void {
  assertTransition(payment.status, PaymentStatus.FAILED);
  payment.status = PaymentStatus.FAILED;
  payment.failureCode = failureCode.slice(0, 100);
  payment.failureMessage = truncate(failureMessage);
}

export function flag(payment: Payment, reason: string): void {
  payment.needsAttention = true;
  payment.attentionReason = reason.slice(0, 100);
}

const truncate = (message: string | null | undefined): string | null => (message ? message.slice(0, 500) : null);
