import { DomainError } from '../../../platform/errors.js';
import { actionRequiredArgs, declinedArgs, unavailableArgs } from '../errors.js';

/*
 * The payment provider, as the payment domain sees it: provider-neutral verbs and results (our states, integer minor
 * units, upper-case currencies, our ids in metadata). The Stripe adapter (stripe/provider.ts) implements it and is the
 * only code that knows Stripe's objects, event names and errors; it imports nothing from the domain but this file.
 * Every call that moves money takes an idempotency key the caller derives from our ids (provider/idempotency-keys.ts).
 */

export type IntentState = 'PENDING' | 'REQUIRES_ACTION' | 'AUTHORIZED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
export type RefundState = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
export type DisputeState = 'OPEN' | 'WON' | 'LOST';
export type RefundReasonCode = 'REQUESTED_BY_CUSTOMER' | 'DUPLICATE' | 'FRAUDULENT';

export interface ProviderAccount {
  id: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  /** Set when the provider restricted the account (requirements past due, under review, rejected). */
  disabledReason: string | null;
}

export interface ProviderCard {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  fingerprint: string | null;
}

export interface ProviderIntent {
  id: string;
  status: IntentState;
  amount: number;
  amountReceived: number;
  amountCapturable: number;
  applicationFeeAmount: number | null;
  currency: string;
  clientSecret: string | null;
  latestChargeId: string | null;
  /** Our payment id and attempt, as written into the intent's metadata when we created it. */
  paymentId: string | null;
  attempt: number | null;
  failureCode: string | null;
  failureMessage: string | null;
}

export interface ProviderCharge {
  id: string;
  paymentIntentId: string | null;
  currency: string;
  amountCaptured: number;
  /** Refunded from what was captured (not counting the released part of a partially captured hold). */
  amountRefunded: number;
  disputed: boolean;
  /** The balance transaction that credited the capture to the account; null before the capture. */
  balanceTransactionId: string | null;
  /** The provider's own fee on that balance transaction. */
  providerFee: number;
  /** The platform's application fee taken from the charge, and how much of it was given back with refunds. */
  applicationFeeAmount: number;
  applicationFeeRefunded: number;
}

export interface ProviderRefund {
  id: string;
  status: RefundState;
  amount: number;
  chargeId: string | null;
  paymentIntentId: string | null;
  /** Set once the refund failed (`expired_or_canceled_card`, `lost_or_stolen_card`, …). */
  failureReason: string | null;
  /** Our refund id, as written into the refund's metadata when we created it. */
  refundId: string | null;
  /** The balance transaction that took the refund from the account, and the one that gave it back if it failed. */
  transactionId: string | null;
  failureTransactionId: string | null;
}

/** A dispute as the provider holds it now, with the balance transactions that moved its money. */
export interface ProviderDispute {
  id: string;
  chargeId: string | null;
  amount: number;
  currency: string;
  reason: string;
  status: DisputeState;
  evidenceDueBy: Date | null;
  /** Signed: a withdrawal is negative (with the provider's dispute fee), a reinstatement positive. */
  transactions: Array<{ id: string; amount: number; fee: number }>;
}

/**
 * What a verified provider event asks of us, provider-neutral. The object itself is always re-fetched: an event's
 * copy may be stale, and deliveries come late, twice and out of order.
 */
export type ProviderAction =
  /** A payment intent changed; `paymentIdHint` is our payment id from its metadata (which lock to take). */
  | { kind: 'intent'; intentId: string; paymentIdHint: string | null }
  /** A charge's refunded total changed. */
  | { kind: 'charge_refunds'; chargeId: string }
  /** A refund moved (pending → succeeded, succeeded → failed, …). */
  | { kind: 'refund'; refundId: string }
  /** A dispute opened, moved money or closed. */
  | { kind: 'dispute'; disputeId: string; chargeId: string }
  /** A connected account's capabilities or requirements changed. */
  | { kind: 'account'; accountId: string }
  | { kind: 'none' };

export interface ProviderEvent {
  id: string;
  /** The provider's own name of the event: for logs and the processed-event record only, never for decisions. */
  type: string;
  /** Connected account for Connect events; null for platform events. */
  account: string | null;
  action: ProviderAction;
}

export type IncrementResult =
  { outcome: 'incremented'; intent: ProviderIntent } | { outcome: 'declined' | 'unsupported'; reason: string };

export interface IntentInput {
  account: string;
  amount: number;
  currency: string;
  paymentMethodId: string;
  paymentId: string;
  sessionId: string;
  attempt: number;
}

export interface RefundInput {
  paymentIntentId: string;
  account: string;
  amount: number;
  reason: RefundReasonCode;
  /** Give back the platform's application fee in proportion to the refund. */
  refundApplicationFee: boolean;
  /** Our refund id, written into the refund's metadata. */
  refundId: string;
}

export type ProviderFailureKind = 'declined' | 'action_required' | 'unavailable';

/** A provider outcome the client can act on; callers inspect `kind` to record it before rethrowing. */
export class ProviderFailure extends DomainError {
  constructor(
    readonly kind: ProviderFailureKind,
    readonly failureCode: string,
    readonly failureMessage: string,
  ) {
    super(
      ...(kind === 'declined'
        ? declinedArgs(failureCode, failureMessage)
        : kind === 'action_required'
          ? actionRequiredArgs()
          : unavailableArgs()),
    );
  }
}

/** A webhook delivery whose signature does not verify. */
export class InvalidSignatureError extends Error {}

// ---- Reconciliation: balance transactions (provider-neutral) ------------------------------------------------

/** What a balance transaction moved, in our words (Stripe's `type`, and `reporting_category` for adjustments). */
export type BalanceTransactionKind =
  | 'CHARGE'
  | 'REFUND'
  | 'REFUND_FAILURE'
  | 'DISPUTE'
  | 'DISPUTE_REVERSAL'
  | 'APPLICATION_FEE'
  | 'APPLICATION_FEE_REFUND'
  | 'OTHER';

/** One movement of an account's balance at the provider, signed (money in > 0), with its fees. */
export interface ProviderBalanceTransaction {
  id: string;
  kind: BalanceTransactionKind;
  /** The provider's own `type` (for logs: `charge`, `adjustment`, `payout`, …). */
  providerType: string;
  amount: number;
  /** Fees taken with it (always ≥ 0): the provider's (`stripe_fee`) plus the platform's (`application_fee`). */
  fee: number;
  providerFee: number;
  applicationFee: number;
  net: number;
  currency: string;
  /** The object that caused it (ch_, re_, dp_, fee_, fr_…). */
  sourceId: string | null;
  /** The charge the money belongs to, when the source names one. */
  chargeId: string | null;
  /** Platform application fees (and their refunds): the connected account the fee was taken from. */
  feeAccountId: string | null;
  /** Platform application fees (and their refunds): how much of that fee has been given back so far. */
  feeRefundedTotal: number | null;
  created: Date;
}

export interface PaymentProvider {
  // Connect accounts (platform calls)
  createConnectedAccount(
    input: { operatorId: string; country: string; email: string },
    idempotencyKey: string,
  ): Promise<ProviderAccount>;
  retrieveAccount(accountId: string): Promise<ProviderAccount>;
  /** Single-use and short-lived: a fresh one every time. */
  createOnboardingLink(
    accountId: string,
    urls: { returnUrl: string; refreshUrl: string },
  ): Promise<{ url: string; expiresAt: Date }>;

  // Driver cards (platform account)
  createCustomer(driverId: string, idempotencyKey: string): Promise<{ id: string }>;
  attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: string): Promise<ProviderCard>;
  /** Clones the driver's platform card onto the operator's account (direct charges happen there). */
  clonePaymentMethod(
    input: { customerId: string; paymentMethodId: string; account: string },
    idempotencyKey: string,
  ): Promise<{ id: string }>;

  // Payments, always on the operator's account
  /** A manual-capture hold, confirmed now with the driver present (3-D Secure may be asked for). */
  createHold(input: IntentInput, idempotencyKey: string): Promise<ProviderIntent>;
  incrementalAuthorizationAvailable(paymentIntentId: string, account: string): Promise<boolean>;
  /** Raises a hold to `amount` (the new total); a decline is an answer, not an error. */
  incrementAuthorization(
    input: { paymentIntentId: string; account: string; amount: number },
    idempotencyKey: string,
  ): Promise<IncrementResult>;
  /** An off-session charge of the final amount, captured at once. */
  createCharge(input: IntentInput & { applicationFeeAmount: number }, idempotencyKey: string): Promise<ProviderIntent>;
  capture(
    input: { paymentIntentId: string; account: string; amount: number; applicationFeeAmount: number },
    idempotencyKey: string,
  ): Promise<ProviderIntent>;
  cancel(
    input: { paymentIntentId: string; account: string; reason: 'abandoned' | 'requested_by_customer' },
    idempotencyKey: string,
  ): Promise<ProviderIntent>;
  retrieveIntent(paymentIntentId: string, account: string): Promise<ProviderIntent>;
  retrieveCharge(chargeId: string, account: string): Promise<ProviderCharge>;
  refund(input: RefundInput, idempotencyKey: string): Promise<ProviderRefund>;
  retrieveRefund(refundId: string, account: string): Promise<ProviderRefund>;
  retrieveDispute(disputeId: string, account: string): Promise<ProviderDispute>;

  // Webhooks
  /** Verifies a delivery's signature and translates it; InvalidSignatureError when it does not verify. */
  verifyEvent(rawBody: Buffer, signature: string | undefined): ProviderEvent;

  // Reconciliation
  /**
   * Every balance transaction of a connected account (or of the platform, `account` null) created in [from, to),
   * all pages, each naming its charge (and on the platform the fee's account).
   */
  listBalanceTransactions(
    account: string | null,
    range: { from: Date; to: Date },
  ): Promise<ProviderBalanceTransaction[]>;
}
