import Stripe from 'stripe';
import type { Logger } from 'pino';
import { badInput, DomainError } from '../../../platform/errors.js';
import {
  InvalidSignatureError,
  ProviderFailure,
  type DisputeState,
  type IncrementResult,
  type IntentInput,
  type IntentState,
  type PaymentProvider,
  type ProviderAccount,
  type ProviderAction,
  type ProviderBalanceTransaction,
  type BalanceTransactionKind,
  type ProviderCard,
  type ProviderCharge,
  type ProviderDispute,
  type ProviderEvent,
  type ProviderIntent,
  type ProviderRefund,
  type RefundInput,
  type RefundReasonCode,
  type RefundState,
} from '../provider/payment-provider.js';

/*
 * The Stripe adapter of the payment provider port (provider/payment-provider.ts): every call to Stripe goes through
 * this file. Every call on a connected account carries `stripeAccount`; SDK errors are mapped here, once, to our
 * codes; Stripe objects and events are translated here into the port's neutral results and actions. It imports
 * nothing from the payment domain.
 */

export interface WebhookSecrets {
  platform: string;
  connect: string;
}

const ON = (account: string, idempotencyKey?: string): Stripe.RequestOptions => ({
  stripeAccount: account,
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

export class StripeProvider implements PaymentProvider {
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

  refund(input: RefundInput, idempotencyKey: string): Promise<ProviderRefund> {
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
      if (code === 'authentication_required') return new ProviderFailure('action_required', code, error.message);
      return new ProviderFailure('declined', error.decline_code ?? code, error.message);
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
      return new ProviderFailure('unavailable', error.type, error.message);
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

const intentMetadata = (input: IntentInput) => ({
  paymentId: input.paymentId,
  sessionId: input.sessionId,
  attempt: String(input.attempt),
});

const REFUND_REASONS: Record<RefundReasonCode, 'duplicate' | 'fraudulent' | 'requested_by_customer'> = {
  DUPLICATE: 'duplicate',
  FRAUDULENT: 'fraudulent',
  REQUESTED_BY_CUSTOMER: 'requested_by_customer',
};

const INTENT_STATUS: Record<Stripe.PaymentIntent.Status, IntentState> = {
  requires_payment_method: 'FAILED', // we always confirm on create: this means the attempt failed
  requires_confirmation: 'PENDING',
  requires_action: 'REQUIRES_ACTION',
  processing: 'PENDING',
  requires_capture: 'AUTHORIZED',
  succeeded: 'SUCCEEDED',
  canceled: 'CANCELED',
};

function refundStatus(status: string | null): RefundState {
  switch (status) {
    case 'succeeded':
      return 'SUCCEEDED';
    case 'failed':
      return 'FAILED';
    case 'canceled':
      return 'CANCELED';
    default:
      return 'PENDING'; // pending, requires_action
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

function disputeStatus(status: string): DisputeState {
  if (status === 'won' || status === 'warning_closed' || status === 'prevented') return 'WON';
  if (status === 'lost') return 'LOST';
  return 'OPEN';
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
    status: INTENT_STATUS[intent.status] ?? 'PENDING',
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
  return { id: event.id, type: event.type, account, action: actionOf(event, account) };
}

/** What each Stripe event we subscribe to asks of us (Stripe's event catalogue, the types we act on). */
function actionOf(event: Stripe.Event, account: string | null): ProviderAction {
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
    case 'payment_intent.amount_capturable_updated':
    case 'payment_intent.requires_action':
      return {
        kind: 'intent',
        intentId: event.data.object.id,
        paymentIdHint: event.data.object.metadata?.paymentId ?? null,
      };
    case 'charge.refunded':
      return { kind: 'charge_refunds', chargeId: event.data.object.id };
    // A refund's changes, under each name Stripe sends them (`charge.refund.updated` for card refunds too).
    case 'refund.updated':
    case 'refund.failed':
    case 'charge.refund.updated':
      return { kind: 'refund', refundId: event.data.object.id };
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated': {
      const chargeId = idOf(event.data.object.charge);
      return chargeId ? { kind: 'dispute', disputeId: event.data.object.id, chargeId } : { kind: 'none' };
    }
    case 'account.updated':
      return { kind: 'account', accountId: account ?? event.data.object.id };
    default:
      return { kind: 'none' };
  }
}
