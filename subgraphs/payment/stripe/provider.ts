import Stripe from 'stripe';
import type { Logger } from 'pino';
import { badInput, DomainError } from '../../../platform/errors.js';
import { actionRequiredArgs, declinedArgs, unavailableArgs, type DomainErrorArgs } from '../errors.js';
import { DisputeStatus, PaymentStatus } from '../payment/payment.status.js';
import { RefundReason, RefundStatus } from '../refund/refund.entity.js';

/*
 * The provider boundary: every call to Stripe goes through this file. Callers pass idempotency keys derived from
 * our ids (stripe/keys.ts); every call on a connected account carries `stripeAccount`; SDK errors are mapped here,
 * once, to our codes; what comes back is provider-neutral (our statuses, integer minor units, upper-case currency).
 */

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
  status: PaymentStatus;
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
  /** The provider's own fee on that balance transaction (its `stripe_fee` part). */
  providerFee: number;
  /** The platform's application fee taken from the charge, and how much of it was given back with refunds. */
  applicationFeeAmount: number;
  applicationFeeRefunded: number;
}

export interface ProviderRefund {
  id: string;
  status: RefundStatus;
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
  status: DisputeStatus;
  evidenceDueBy: Date | null;
  /** Signed: a withdrawal is negative (with the provider's dispute fee), a reinstatement positive. */
  transactions: Array<{ id: string; amount: number; fee: number }>;
}

/** A refund event, translated: which refund and the state the event saw (the refund itself is re-fetched). */
export interface ProviderRefundUpdate {
  providerRefundId: string;
  status: RefundStatus;
  failureReason: string | null;
}

/** A verified provider event, reduced to what we act on. The object itself is always re-fetched. */
export interface ProviderEvent {
  id: string;
  type: string;
  /** Connected account for Connect events; null for platform events. */
  account: string | null;
  objectId: string;
  /** payment_intent.*: our payment id from the intent's metadata, only to find which lock to take. */
  paymentIdHint?: string;
  /** charge.dispute.*: which dispute of which charge (the dispute itself is re-fetched). */
  dispute?: { disputeId: string; chargeId: string };
  /** refund.updated, refund.failed, charge.refund.updated (refund events, in whichever name Stripe sends them). */
  refund?: ProviderRefundUpdate;
}

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

export type ProviderFailureKind = 'declined' | 'action_required' | 'unavailable';

/** A provider outcome the client can act on; callers inspect `kind` to record it before rethrowing. */
export class ProviderFailure extends DomainError {
  constructor(
    readonly kind: ProviderFailureKind,
    readonly failureCode: string,
    readonly failureMessage: string,
    error: DomainErrorArgs,
  ) {
    super(...error);
  }
}

export class InvalidSignatureError extends Error {}

export interface WebhookSecrets {
  platform: string;
  connect: string;
}

const ON = (account: string, idempotencyKey?: string): Stripe.RequestOptions => ({
  stripeAccount: account,
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

export class PaymentProvider {
  constructor(
    private readonly stripe: Stripe,
    private readonly secrets: WebhookSecrets,
    private readonly logger: Logger,
  ) {
    // Every provider call in the log: Stripe's request id next to ours (the logger's mixin adds x-request-id).
    stripe.on('response', (r: Stripe.ResponseEvent) =>
      logger.info(
        { stripe: { method: r.method, path: r.path, status: r.status, stripeRequestId: r.request_id, ms: r.elapsed } },
        'stripe call',
      ),
    );
  }

  // ---- Connect accounts (platform calls) -------------------------------------------------------------------

  createConnectedAccount(
    input: { operatorId: string; country: string; email: string },
    idempotencyKey: string,
  ): Promise<ProviderAccount> {
    return this.call('accounts.create', async () =>
      toAccount(
        await this.stripe.accounts.create(
          {
            type: 'express',
            country: input.country,
            email: input.email,
            capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
            metadata: { operatorId: input.operatorId },
          },
          { idempotencyKey },
        ),
      ),
    );
  }

  retrieveAccount(accountId: string): Promise<ProviderAccount> {
    return this.call('accounts.retrieve', async () => toAccount(await this.stripe.accounts.retrieve(accountId)));
  }

  /** Account links are single-use and short-lived: a fresh one every time (no idempotency key on purpose). */
  createOnboardingLink(
    accountId: string,
    urls: { returnUrl: string; refreshUrl: string },
  ): Promise<{ url: string; expiresAt: Date }> {
    return this.call('accountLinks.create', async () => {
      const link = await this.stripe.accountLinks.create({
        account: accountId,
        type: 'account_onboarding',
        return_url: urls.returnUrl,
        refresh_url: urls.refreshUrl,
      });
      return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
    });
  }

  // ---- Driver cards (platform account) ---------------------------------------------------------------------

  createCustomer(driverId: string, idempotencyKey: string): Promise<{ id: string }> {
    return this.call('customers.create', async () => {
      const customer = await this.stripe.customers.create({ metadata: { driverId } }, { idempotencyKey });
      return { id: customer.id };
    });
  }

  /** Attaches a method the app created client-side; an unknown or foreign method is the client's mistake. */
  attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: string): Promise<ProviderCard> {
    return this.call(
      'paymentMethods.attach',
      async () =>
        toCard(await this.stripe.paymentMethods.attach(paymentMethodId, { customer: customerId }, { idempotencyKey })),
      (error) => {
        if (
          error instanceof Stripe.errors.StripeInvalidRequestError ||
          error instanceof Stripe.errors.StripeCardError
        ) {
          return badInput(
            'This payment method cannot be saved: it does not exist, is not a card, or belongs to someone else.',
            'paymentMethodId',
          );
        }
        return undefined;
      },
    );
  }

  /** Clones the driver's platform card onto the operator's connected account (direct charges need it there). */
  clonePaymentMethod(
    input: { customerId: string; paymentMethodId: string; account: string },
    idempotencyKey: string,
  ): Promise<{ id: string }> {
    return this.call('paymentMethods.create(clone)', async () => {
      const clone = await this.stripe.paymentMethods.create(
        { customer: input.customerId, payment_method: input.paymentMethodId },
        ON(input.account, idempotencyKey),
      );
      return { id: clone.id };
    });
  }

  // ---- Payments (always on the operator's connected account) -----------------------------------------------

  /** A manual-capture hold, confirmed now with the driver present (3-D Secure may be asked for). */
  createHold(input: IntentInput, idempotencyKey: string): Promise<ProviderIntent> {
    return this.call('paymentIntents.create(hold)', async () =>
      toIntent(
        await this.stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency.toLowerCase(),
            payment_method: input.paymentMethodId,
            capture_method: 'manual',
            confirm: true,
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            // A session may run longer than its hold: ask for the right to raise it where the card allows it.
            payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
            metadata: intentMetadata(input),
          },
          ON(input.account, idempotencyKey),
        ),
      ),
    );
  }

  /**
   * Whether the hold's authorisation can be raised: the card network decides at confirmation and Stripe reports it
   * on the charge (`payment_method_details.card.incremental_authorization.status`).
   */
  incrementalAuthorizationAvailable(paymentIntentId: string, account: string): Promise<boolean> {
    return this.call('paymentIntents.retrieve(latest_charge)', async () => {
      const intent = await this.stripe.paymentIntents.retrieve(
        paymentIntentId,
        { expand: ['latest_charge'] },
        ON(account),
      );
      const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
      return charge?.payment_method_details?.card?.incremental_authorization?.status === 'available';
    });
  }

  /**
   * Raises a hold to `amount` (the new total). A decline is an answer (`declined`, nothing on the intent changes);
   * an intent Stripe refuses to increment (not eligible) is `unsupported`; outages throw as everywhere else.
   */
  incrementAuthorization(
    input: { paymentIntentId: string; account: string; amount: number },
    idempotencyKey: string,
  ): Promise<IncrementResult> {
    return this.call('paymentIntents.incrementAuthorization', async () => {
      try {
        const intent = await this.stripe.paymentIntents.incrementAuthorization(
          input.paymentIntentId,
          { amount: input.amount },
          ON(input.account, idempotencyKey),
        );
        return { outcome: 'incremented', intent: toIntent(intent) };
      } catch (error) {
        if (error instanceof Stripe.errors.StripeCardError)
          return { outcome: 'declined', reason: error.decline_code ?? error.code ?? 'card_declined' };
        if (error instanceof Stripe.errors.StripeInvalidRequestError) {
          this.logger.warn(
            { code: error.code, message: error.message, requestId: error.requestId },
            'payment provider refused to increment an authorization',
          );
          return { outcome: 'unsupported', reason: error.code ?? 'incremental_authorization_unavailable' };
        }
        throw error;
      }
    });
  }

  /** An off-session direct charge for the final amount, captured automatically. */
  createCharge(input: IntentInput & { applicationFeeAmount: number }, idempotencyKey: string): Promise<ProviderIntent> {
    return this.call('paymentIntents.create(charge)', async () =>
      toIntent(
        await this.stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency.toLowerCase(),
            payment_method: input.paymentMethodId,
            confirm: true,
            off_session: true,
            capture_method: 'automatic',
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            ...(input.applicationFeeAmount > 0 ? { application_fee_amount: input.applicationFeeAmount } : {}),
            metadata: intentMetadata(input),
          },
          ON(input.account, idempotencyKey),
        ),
      ),
    );
  }

  capture(
    input: { paymentIntentId: string; account: string; amount: number; applicationFeeAmount: number },
    idempotencyKey: string,
  ): Promise<ProviderIntent> {
    return this.call('paymentIntents.capture', async () =>
      toIntent(
        await this.stripe.paymentIntents.capture(
          input.paymentIntentId,
          {
            amount_to_capture: input.amount,
            ...(input.applicationFeeAmount > 0 ? { application_fee_amount: input.applicationFeeAmount } : {}),
          },
          ON(input.account, idempotencyKey),
        ),
      ),
    );
  }

  cancel(
    input: { paymentIntentId: string; account: string; reason: 'abandoned' | 'requested_by_customer' },
    idempotencyKey: string,
  ): Promise<ProviderIntent> {
    return this.call('paymentIntents.cancel', async () =>
      toIntent(
        await this.stripe.paymentIntents.cancel(
          input.paymentIntentId,
          { cancellation_reason: input.reason },
          ON(input.account, idempotencyKey),
        ),
      ),
    );
  }

  retrieveIntent(paymentIntentId: string, account: string): Promise<ProviderIntent> {
    return this.call('paymentIntents.retrieve', async () =>
      toIntent(await this.stripe.paymentIntents.retrieve(paymentIntentId, {}, ON(account))),
    );
  }

  retrieveCharge(chargeId: string, account: string): Promise<ProviderCharge> {
    return this.call('charges.retrieve', async () => {
      const charge = await this.stripe.charges.retrieve(
        chargeId,
        { expand: ['balance_transaction', 'application_fee'] },
        ON(account),
      );
      // Stripe counts the uncaptured remainder of a partial capture in `amount_refunded`; it was never charged.
      const released = charge.captured ? charge.amount - charge.amount_captured : 0;
      const txn = typeof charge.balance_transaction === 'object' ? charge.balance_transaction : null;
      const fee = typeof charge.application_fee === 'object' ? charge.application_fee : null;
      return {
        id: charge.id,
        paymentIntentId: idOf(charge.payment_intent),
        currency: charge.currency.toUpperCase(),
        amountCaptured: charge.amount_captured,
        amountRefunded: Math.max(0, charge.amount_refunded - released),
        disputed: charge.disputed,
        balanceTransactionId: idOf(charge.balance_transaction),
        providerFee: (txn?.fee_details ?? [])
          .filter((detail) => detail.type === 'stripe_fee')
          .reduce((sum, detail) => sum + detail.amount, 0),
        applicationFeeAmount: charge.application_fee_amount ?? 0,
        applicationFeeRefunded: fee?.amount_refunded ?? 0,
      };
    });
  }

  refund(
    input: {
      paymentIntentId: string;
      account: string;
      amount: number;
      reason: RefundReason;
      /** Give back the platform's application fee in proportion to the refund. */
      refundApplicationFee: boolean;
      refundId: string;
    },
    idempotencyKey: string,
  ): Promise<ProviderRefund> {
    return this.call('refunds.create', async () => {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: input.paymentIntentId,
          amount: input.amount,
          reason: REFUND_REASONS[input.reason],
          refund_application_fee: input.refundApplicationFee,
          metadata: { refundId: input.refundId },
        },
        ON(input.account, idempotencyKey),
      );
      return toRefund(refund);
    });
  }

  /** The refund's current state on the operator's account (the sweeper's way to settle one no event settled). */
  retrieveRefund(refundId: string, account: string): Promise<ProviderRefund> {
    return this.call('refunds.retrieve', async () =>
      toRefund(await this.stripe.refunds.retrieve(refundId, {}, ON(account))),
    );
  }

  retrieveDispute(disputeId: string, account: string): Promise<ProviderDispute> {
    return this.call('disputes.retrieve', async () => {
      const dispute = await this.stripe.disputes.retrieve(disputeId, {}, ON(account));
      return {
        id: dispute.id,
        chargeId: idOf(dispute.charge),
        amount: dispute.amount,
        currency: dispute.currency.toUpperCase(),
        reason: dispute.reason,
        status: disputeStatus(dispute.status),
        evidenceDueBy: dispute.evidence_details?.due_by ? new Date(dispute.evidence_details.due_by * 1000) : null,
        transactions: dispute.balance_transactions.map((txn) => ({ id: txn.id, amount: txn.amount, fee: txn.fee })),
      };
    });
  }

  // ---- Webhooks --------------------------------------------------------------------------------------------

  /**
   * Verifies a delivery against the platform endpoint's secret, then the Connect endpoint's. An event about a
   * connected account (`account` set) must come signed with the Connect secret, a platform event with the platform
   * secret: a leaked platform secret cannot forge Connect events and vice versa.
   */
  verifyEvent(rawBody: Buffer, signature: string | undefined): ProviderEvent {
    if (!signature) throw new InvalidSignatureError('missing Stripe-Signature header');
    for (const [endpoint, secret] of [
      ['platform', this.secrets.platform],
      ['connect', this.secrets.connect],
    ] as const) {
      let event: Stripe.Event;
      try {
        event = this.stripe.webhooks.constructEvent(rawBody, signature, secret);
      } catch {
        continue;
      }
      const account = event.account ?? null;
      if ((endpoint === 'connect') !== (account !== null))
        throw new InvalidSignatureError(
          `event for ${account ? 'a connected account' : 'the platform'} signed with the ${endpoint} secret`,
        );
      return toEvent(event, account);
    }
    throw new InvalidSignatureError('signature does not match either endpoint secret');
  }

  // ---- Error mapping (the one place) -----------------------------------------------------------------------

  private async call<T>(
    operation: string,
    run: () => Promise<T>,
    clientMistake?: (error: unknown) => DomainError | undefined,
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw clientMistake?.(error) ?? this.mapError(operation, error);
    }
  }

  private mapError(operation: string, error: unknown): Error {
    const E = Stripe.errors;
    if (error instanceof E.StripeCardError) {
      const code = error.code ?? 'card_declined';
      if (code === 'authentication_required')
        return new ProviderFailure('action_required', code, error.message, actionRequiredArgs());
      const declineCode = error.decline_code ?? code;
      return new ProviderFailure('declined', declineCode, error.message, declinedArgs(declineCode, error.message));
    }
    // The SDK already retried these (maxNetworkRetries, same idempotency key): the outcome is unknown, a later retry
    // with the same key settles it.
    if (
      error instanceof E.StripeConnectionError ||
      error instanceof E.StripeRateLimitError ||
      (error instanceof E.StripeAPIError && (error.statusCode ?? 500) >= 409)
    ) {
      this.logger.warn(
        { operation, type: error.type, statusCode: error.statusCode, requestId: error.requestId },
        'payment provider unavailable',
      );
      return new ProviderFailure('unavailable', error.type, error.message, unavailableArgs());
    }
    if (error instanceof E.StripeError) {
      this.logger.error(
        {
          operation,
          type: error.type,
          code: error.code,
          param: error.param,
          statusCode: error.statusCode,
          requestId: error.requestId,
        },
        'payment provider rejected a request',
      );
      return new Error(`payment provider rejected ${operation}: ${error.type}${error.code ? ` (${error.code})` : ''}`, {
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(`payment provider call ${operation} failed`, { cause: error });
  }

  // ---- Reconciliation: balance transactions ----------------------------------------------------------------

  /**
   * Every balance transaction of a connected account (or of the platform, `account` null) created in [from, to),
   * all pages. The source is expanded so each row names its charge (and, on the platform, the fee's account).
   */
  listBalanceTransactions(
    account: string | null,
    range: { from: Date; to: Date },
  ): Promise<ProviderBalanceTransaction[]> {
    return this.call('balanceTransactions.list', async () => {
      const rows: ProviderBalanceTransaction[] = [];
      const params: Stripe.BalanceTransactionListParams = {
        created: { gte: Math.floor(range.from.getTime() / 1000), lt: Math.ceil(range.to.getTime() / 1000) },
        limit: 100,
        expand: account ? ['data.source'] : ['data.source', 'data.source.fee'],
      };
      for await (const txn of this.stripe.balanceTransactions.list(params, account ? ON(account) : {}))
        rows.push(this.toBalanceTransaction(txn));
      return rows;
    });
  }

  private toBalanceTransaction(txn: Stripe.BalanceTransaction): ProviderBalanceTransaction {
    const feeOf = (type: string) =>
      txn.fee_details.filter((detail) => detail.type === type).reduce((sum, detail) => sum + detail.amount, 0);
    const source = txn.source;
    let chargeId: string | null = null;
    let feeAccountId: string | null = null;
    let feeRefundedTotal: number | null = null;
    if (source !== null && typeof source === 'object') {
      if (source.object === 'charge') chargeId = source.id;
      else if (source.object === 'refund' || source.object === 'dispute') chargeId = idOf(source.charge);
      else if (source.object === 'application_fee') {
        chargeId = idOf(source.charge);
        feeAccountId = idOf(source.account);
        feeRefundedTotal = source.amount_refunded;
      } else if (source.object === 'fee_refund' && typeof source.fee === 'object') {
        chargeId = idOf(source.fee.charge);
        feeAccountId = idOf(source.fee.account);
        feeRefundedTotal = source.fee.amount_refunded;
      }
    }
    const kinds: Record<string, BalanceTransactionKind> = {
      charge: 'CHARGE',
      payment: 'CHARGE',
      refund: 'REFUND',
      payment_refund: 'REFUND',
      refund_failure: 'REFUND_FAILURE',
      payment_failure_refund: 'REFUND_FAILURE',
      application_fee: 'APPLICATION_FEE',
      application_fee_refund: 'APPLICATION_FEE_REFUND',
    };
    // Disputes move money as `adjustment`s; `reporting_category` tells the withdrawal from the reinstatement.
    const dispute = txn.type === 'adjustment' && txn.reporting_category === 'dispute';
    const reversal = txn.type === 'adjustment' && txn.reporting_category === 'dispute_reversal';
    return {
      id: txn.id,
      kind: dispute ? 'DISPUTE' : reversal ? 'DISPUTE_REVERSAL' : (kinds[txn.type] ?? 'OTHER'),
      providerType: txn.type,
      amount: txn.amount,
      fee: txn.fee,
      providerFee: feeOf('stripe_fee'),
      applicationFee: feeOf('application_fee'),
      net: txn.net,
      currency: txn.currency.toUpperCase(),
      sourceId: idOf(source),
      chargeId,
      feeAccountId,
      feeRefundedTotal,
      created: new Date(txn.created * 1000),
    };
  }
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

const intentMetadata = (input: IntentInput) => ({
  paymentId: input.paymentId,
  sessionId: input.sessionId,
  attempt: String(input.attempt),
});

const REFUND_REASONS: Record<RefundReason, 'duplicate' | 'fraudulent' | 'requested_by_customer'> = {
  [RefundReason.DUPLICATE]: 'duplicate',
  [RefundReason.FRAUDULENT]: 'fraudulent',
  [RefundReason.REQUESTED_BY_CUSTOMER]: 'requested_by_customer',
};

const INTENT_STATUS: Record<Stripe.PaymentIntent.Status, PaymentStatus> = {
  requires_payment_method: PaymentStatus.FAILED, // we always confirm on create: this means the attempt failed
  requires_confirmation: PaymentStatus.PENDING,
  requires_action: PaymentStatus.REQUIRES_ACTION,
  processing: PaymentStatus.PENDING,
  requires_capture: PaymentStatus.AUTHORIZED,
  succeeded: PaymentStatus.SUCCEEDED,
  canceled: PaymentStatus.CANCELED,
};

function refundStatus(status: string | null): RefundStatus {
  switch (status) {
    case 'succeeded':
      return RefundStatus.SUCCEEDED;
    case 'failed':
      return RefundStatus.FAILED;
    case 'canceled':
      return RefundStatus.CANCELED;
    default:
      return RefundStatus.PENDING; // pending, requires_action
  }
}

function toRefund(refund: Stripe.Refund): ProviderRefund {
  return {
    id: refund.id,
    amount: refund.amount,
    status: refundStatus(refund.status),
    chargeId: idOf(refund.charge),
    paymentIntentId: idOf(refund.payment_intent),
    failureReason: refund.failure_reason ?? null,
    refundId: refund.metadata?.refundId ?? null,
    transactionId: idOf(refund.balance_transaction),
    failureTransactionId: idOf(refund.failure_balance_transaction),
  };
}

function disputeStatus(status: string): DisputeStatus {
  if (status === 'won' || status === 'warning_closed' || status === 'prevented') return DisputeStatus.WON;
  if (status === 'lost') return DisputeStatus.LOST;
  return DisputeStatus.OPEN;
}

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

function toAccount(account: Stripe.Account): ProviderAccount {
  return {
    id: account.id,
    chargesEnabled: account.charges_enabled ?? false,
    payoutsEnabled: account.payouts_enabled ?? false,
    detailsSubmitted: account.details_submitted ?? false,
    disabledReason: account.requirements?.disabled_reason ?? null,
  };
}

function toCard(method: Stripe.PaymentMethod): ProviderCard {
  if (method.type !== 'card' || !method.card) throw badInput('Only cards can be saved.', 'paymentMethodId');
  return {
    id: method.id,
    brand: method.card.brand,
    last4: method.card.last4,
    expMonth: method.card.exp_month,
    expYear: method.card.exp_year,
    fingerprint: method.card.fingerprint ?? null,
  };
}

function toIntent(intent: Stripe.PaymentIntent): ProviderIntent {
  const attempt = Number(intent.metadata?.attempt);
  return {
    id: intent.id,
    status: INTENT_STATUS[intent.status] ?? PaymentStatus.PENDING,
    amount: intent.amount,
    amountReceived: intent.amount_received ?? 0,
    amountCapturable: intent.amount_capturable ?? 0,
    applicationFeeAmount: intent.application_fee_amount ?? null,
    currency: intent.currency.toUpperCase(),
    clientSecret: intent.client_secret ?? null,
    latestChargeId: idOf(intent.latest_charge),
    paymentId: intent.metadata?.paymentId ?? null,
    attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : null,
    failureCode: intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? null,
    failureMessage: intent.last_payment_error?.message ?? null,
  };
}

function toEvent(event: Stripe.Event, account: string | null): ProviderEvent {
  const object = event.data.object;
  const base: ProviderEvent = {
    id: event.id,
    type: event.type,
    account,
    objectId: 'id' in object && typeof object.id === 'string' ? object.id : '',
  };
  if (
    event.type.startsWith('payment_intent.') &&
    'object' in object &&
    object.object === 'payment_intent' &&
    'metadata' in object
  ) {
    base.paymentIdHint = object.metadata?.paymentId;
  }
  if (
    event.type === 'charge.dispute.created' ||
    event.type === 'charge.dispute.updated' ||
    event.type === 'charge.dispute.closed' ||
    event.type === 'charge.dispute.funds_withdrawn' ||
    event.type === 'charge.dispute.funds_reinstated'
  ) {
    const chargeId = idOf(event.data.object.charge);
    if (chargeId) base.dispute = { disputeId: event.data.object.id, chargeId };
  }
  // A refund's changes, under each name Stripe sends them (`charge.refund.updated` for card refunds too).
  if (event.type === 'refund.updated' || event.type === 'refund.failed' || event.type === 'charge.refund.updated') {
    const refund = event.data.object;
    base.refund = {
      providerRefundId: refund.id,
      status: refundStatus(refund.status),
      failureReason: refund.failure_reason ?? null,
    };
  }
  return base;
}
