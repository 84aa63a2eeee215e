import { ApiError, invalidRequest, unexpectedState } from '../core/errors.js';
import { cloneJson, type JsonObject } from '../core/json.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { PaymentIntentObject, PaymentMethodObject } from '../state/objects.js';
import type { AccountState } from '../state/store.js';
import { captureCharge, createCharge, type Decline } from './charges.js';
import { disputeIfTestCard } from './disputes.js';
import { findPaymentIntent } from './lookups.js';
import {
  assignPaymentMethod,
  readCaptureMethod,
  readMethodTypes,
  readOffSession,
  readSetupFutureUsage,
  rejectUnsupported,
} from './payment-intent-rules.js';
import { cardOutcomeOf } from './payment-methods.js';

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

const DECLINES: Record<'decline_generic' | 'decline_insufficient_funds' | 'require_authentication', Decline> = {
  decline_generic: { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' },
  decline_insufficient_funds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  require_authentication: {
    code: 'authentication_required',
    declineCode: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
};

const RETURN_URL_REQUIRED =
  "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.";

export interface ConfirmOptions {
  offSession: boolean;
  returnUrl: string | null;
  errorOnRequiresAction: boolean;
}

/** Direct charges need the connected account to be able to take card payments (onboarding complete). */
function assertCanCharge(account: AccountState): void {
  const { charges_enabled, capabilities } = account.account;
  if (!charges_enabled || capabilities.card_payments !== 'active') {
    throw invalidRequest(
      'You cannot create a charge on a connected account without the `card_payments` capability enabled.',
      {
        param: 'payment_method',
      },
    );
  }
}

/** Builds the 3-D Secure step: an emulator page that completes (or fails) authentication when opened. */
function requireAction(ctx: ApiContext, intent: PaymentIntentObject, returnUrl: string | null): void {
  const query = ctx.account.isPlatform ? '' : `?account=${ctx.account.id}`;
  const url = `${ctx.baseUrl}/_emulator/payment_intents/${intent.id}/authenticate${query}`;
  intent.status = 'requires_action';
  intent.next_action = returnUrl
    ? { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url } }
    : {
        type: 'use_stripe_sdk',
        use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: intent.id },
      };
  ctx.events.emit(ctx.account, 'payment_intent.requires_action', intent);
}

/**
 * A failed attempt, as Stripe records it: the intent returns to requires_payment_method with
 * `last_payment_error`, and the request fails with 402 card_error carrying the intent.
 */
function decline(ctx: ApiContext, intent: PaymentIntentObject, method: PaymentMethodObject, reason: Decline): never {
  const charge = createCharge(ctx, intent, method, reason);
  const error = new ApiError(402, {
    type: 'card_error',
    code: reason.code,
    decline_code: reason.declineCode,
    message: reason.message,
    charge: charge.id,
    payment_method: cloneJson(method),
  });
  intent.latest_charge = charge.id;
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.next_action = null;
  intent.last_payment_error = error.errorObject();
  ctx.events.emit(ctx.account, 'charge.failed', charge);
  ctx.events.emit(ctx.account, 'payment_intent.payment_failed', intent);
  throw new ApiError(402, { ...error.fields, payment_intent: cloneJson(intent) });
}

/** An approved attempt: held (manual capture) or captured right away with its money movement. */
function authorize(ctx: ApiContext, intent: PaymentIntentObject, method: PaymentMethodObject): void {
  const charge = createCharge(ctx, intent, method);
  intent.latest_charge = charge.id;
  intent.last_payment_error = null;
  intent.next_action = null;
  if (intent.capture_method === 'manual') {
    intent.status = 'requires_capture';
    intent.amount_capturable = intent.amount;
    ctx.events.emit(ctx.account, 'charge.succeeded', charge);
    ctx.events.emit(ctx.account, 'payment_intent.amount_capturable_updated', intent);
    return;
  }
  captureCharge(ctx, charge, intent.amount, intent.application_fee_amount ?? 0);
  intent.status = 'succeeded';
  intent.amount_received = intent.amount;
  ctx.events.emit(ctx.account, 'charge.succeeded', charge);
  ctx.events.emit(ctx.account, 'payment_intent.succeeded', intent);
  disputeIfTestCard(ctx.account, charge, ctx.events);
}

function paymentMethodOf(ctx: ApiContext, intent: PaymentIntentObject): PaymentMethodObject {
  const method = intent.payment_method === null ? undefined : ctx.account.paymentMethods.get(intent.payment_method);
  if (!method) {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, specify a payment method.",
    );
  }
  return method;
}

function assertConfirmable(intent: PaymentIntentObject): void {
  if (!CONFIRMABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
    );
  }
}

function isDeclining(outcome: string): outcome is keyof typeof DECLINES {
  return Object.hasOwn(DECLINES, outcome);
}

/** Runs a confirmation: the test card decides between approval, decline and authentication. */
export function confirmIntent(ctx: ApiContext, intent: PaymentIntentObject, options: ConfirmOptions): void {
  assertConfirmable(intent);
  const method = paymentMethodOf(ctx, intent);
  assertCanCharge(ctx.account);
  const automatic = intent.automatic_payment_methods;
  if (automatic?.enabled && automatic.allow_redirects === 'always' && options.returnUrl === null) {
    throw invalidRequest(RETURN_URL_REQUIRED, { param: 'return_url' });
  }
  const outcome = cardOutcomeOf(ctx.account, method);
  // Every other outcome approves the charge (what sets it apart shows later: increments, refunds).
  if (!isDeclining(outcome)) return authorize(ctx, intent, method);
  if (outcome === 'require_authentication' && !options.offSession && !options.errorOnRequiresAction) {
    return requireAction(ctx, intent, options.returnUrl);
  }
  decline(ctx, intent, method, DECLINES[outcome]);
}

/** Result of the emulator's 3-D Secure page: continue the attempt, or fail it as Stripe does. */
export function completeAuthentication(ctx: ApiContext, intent: PaymentIntentObject, succeeded: boolean): void {
  if (intent.status !== 'requires_action')
    throw unexpectedState(`This PaymentIntent has a status of ${intent.status}, not requires_action.`);
  const method = paymentMethodOf(ctx, intent);
  if (succeeded) return authorize(ctx, intent, method);
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.next_action = null;
  intent.last_payment_error = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: cloneJson(method),
  };
  ctx.events.emit(ctx.account, 'payment_intent.payment_failed', intent);
}

function confirmRoute(ctx: ApiContext): JsonObject {
  const { params } = ctx;
  const intent = findPaymentIntent(ctx.account, ctx.pathParams.intent, 'intent');
  rejectUnsupported(params);
  const captureMethod = readCaptureMethod(params);
  const methodTypes = readMethodTypes(params, false);
  const setupFutureUsage = readSetupFutureUsage(params);
  const options: ConfirmOptions = {
    offSession: readOffSession(params) ?? false,
    returnUrl: params.string('return_url') ?? null,
    errorOnRequiresAction: params.boolean('error_on_requires_action') ?? false,
  };
  const receiptEmail = params.nullableString('receipt_email');
  const shipping = params.hash('shipping');
  const paymentMethod = params.string('payment_method');
  assertConfirmable(intent);
  if (paymentMethod !== undefined) assignPaymentMethod(ctx, intent, paymentMethod);
  if (captureMethod !== undefined) intent.capture_method = captureMethod;
  if (methodTypes) {
    intent.allowed_payment_method_types = methodTypes.allowed;
    intent.payment_method_types = methodTypes.types;
    intent.automatic_payment_methods = methodTypes.automatic;
  }
  if (setupFutureUsage !== undefined) intent.setup_future_usage = setupFutureUsage;
  if (receiptEmail !== undefined) intent.receipt_email = receiptEmail;
  if (shipping !== undefined) intent.shipping = shipping;
  confirmIntent(ctx, intent, options);
  return intent;
}

export const confirmRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/payment_intents/{intent}/confirm', handler: confirmRoute },
];
