import { invalidParam, unexpectedState } from '../core/errors.js';
import { newId, nowSeconds, randomToken } from '../core/ids.js';
import { isJsonObject, type JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import type { ParamReader } from '../core/params.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { PaymentIntentObject } from '../state/objects.js';
import { releaseCharge } from './charges.js';
import { findCharge, findPaymentIntent } from './lookups.js';
import { confirmIntent } from './payment-intent-confirm.js';
import {
  assignCustomer,
  assignPaymentMethod,
  checkAmount,
  checkApplicationFee,
  readCaptureMethod,
  readCurrency,
  readMethodTypes,
  readOffSession,
  readSetupFutureUsage,
  rejectUnsupported,
} from './payment-intent-rules.js';

const DEFAULT_CARD_OPTIONS: JsonObject = {
  installments: null,
  mandate_options: null,
  network: null,
  request_three_d_secure: 'automatic',
};
const CANCELABLE = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];
const CANCELLATION_REASONS = ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const;
/** Once an intent has succeeded or been canceled only these can still change. */
const ALWAYS_UPDATABLE = ['description', 'expand', 'metadata', 'receipt_email', 'shipping'];
const BEFORE_CONFIRMATION = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

function paymentMethodOptions(params: ParamReader, current: JsonObject = { card: DEFAULT_CARD_OPTIONS }): JsonObject {
  const given = params.hash('payment_method_options');
  if (!given) return current;
  const card = isJsonObject(given.card) ? given.card : {};
  const currentCard = isJsonObject(current.card) ? current.card : {};
  return { ...current, ...given, card: { ...currentCard, ...card } };
}

/** `''` clears a text field, an absent parameter keeps it. */
function updatedText(params: ParamReader, name: string, current: string | null): string | null {
  const value = params.nullableString(name);
  return value === undefined ? current : value;
}

/** Statement descriptors, description, metadata and friends: plain fields shared by create and update. */
function applyDescriptiveFields(intent: PaymentIntentObject, params: ParamReader): void {
  intent.description = updatedText(params, 'description', intent.description);
  intent.receipt_email = updatedText(params, 'receipt_email', intent.receipt_email);
  intent.statement_descriptor = updatedText(params, 'statement_descriptor', intent.statement_descriptor);
  intent.statement_descriptor_suffix = updatedText(
    params,
    'statement_descriptor_suffix',
    intent.statement_descriptor_suffix,
  );
  intent.transfer_group = updatedText(params, 'transfer_group', intent.transfer_group);
  const shipping = params.hash('shipping');
  if (shipping !== undefined) intent.shipping = shipping;
  intent.metadata = params.metadata(intent.metadata);
}

function createPaymentIntent(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  rejectUnsupported(params);
  const amount = params.requiredInteger('amount', { min: 1 });
  const currency = readCurrency(params, true);
  const methodTypes = readMethodTypes(params, true);
  const applicationFee = params.integer('application_fee_amount', { min: 0 });
  const confirm = params.boolean('confirm') ?? false;
  const offSession = readOffSession(params);
  const errorOnRequiresAction = params.boolean('error_on_requires_action');
  if (!confirm && offSession !== undefined) {
    throw invalidParam('off_session', '`off_session` can only be used when `confirm` is true.');
  }
  if (!confirm && errorOnRequiresAction !== undefined) {
    throw invalidParam(
      'error_on_requires_action',
      '`error_on_requires_action` can only be used when `confirm` is true.',
    );
  }
  checkAmount(amount, currency);
  checkApplicationFee(account, applicationFee, amount);
  const id = newId('pi');
  const intent: PaymentIntentObject = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: methodTypes?.allowed ?? null,
    amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: account.isPlatform ? null : ctx.state.applicationId,
    application_fee_amount: applicationFee ?? null,
    automatic_payment_methods: methodTypes?.automatic ?? null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: readCaptureMethod(params) ?? 'automatic',
    client_secret: `${id}_secret_${randomToken(25)}`,
    confirmation_method: params.enumValue('confirmation_method', ['automatic', 'manual'] as const) ?? 'automatic',
    created: nowSeconds(),
    currency,
    customer: null,
    customer_account: null,
    description: null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: paymentMethodOptions(params),
    payment_method_types: methodTypes?.types ?? ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: readSetupFutureUsage(params) ?? null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  applyDescriptiveFields(intent, params);
  const customer = params.string('customer');
  if (customer !== undefined) assignCustomer(ctx, intent, customer);
  const paymentMethod = params.string('payment_method');
  if (paymentMethod !== undefined) {
    assignPaymentMethod(ctx, intent, paymentMethod);
    intent.status = 'requires_confirmation';
  }
  account.paymentIntents.add(intent);
  ctx.events.emit(account, 'payment_intent.created', intent);
  if (confirm) {
    confirmIntent(ctx, intent, {
      offSession: offSession ?? false,
      returnUrl: params.string('return_url') ?? null,
      errorOnRequiresAction: errorOnRequiresAction ?? false,
    });
  }
  return intent;
}

function updatePaymentIntent(ctx: ApiContext): JsonObject {
  const { params } = ctx;
  const intent = findPaymentIntent(ctx.account, ctx.pathParams.intent, 'intent');
  rejectUnsupported(params);
  if (intent.status === 'succeeded' || intent.status === 'canceled') {
    const locked = Object.keys(params.values).find((name) => !ALWAYS_UPDATABLE.includes(name));
    if (locked !== undefined) {
      throw unexpectedState(
        `You cannot update \`${locked}\` on this PaymentIntent because it has a status of ${intent.status}.`,
      );
    }
  }
  const amount = params.integer('amount', { min: 1 });
  const currency = readCurrency(params);
  const applicationFee = params.integer('application_fee_amount', { min: 0 });
  const captureMethod = readCaptureMethod(params);
  const methodTypes = readMethodTypes(params, false);
  const setupFutureUsage = readSetupFutureUsage(params);
  const paymentMethod = params.string('payment_method');
  const customer = params.nullableString('customer');
  const changesAttempt =
    amount !== undefined || currency !== undefined || paymentMethod !== undefined || captureMethod !== undefined;
  if (changesAttempt && !BEFORE_CONFIRMATION.includes(intent.status)) {
    throw unexpectedState(
      `You cannot update this PaymentIntent's amount, currency, capture method or payment method because it has a status of ${intent.status}.`,
    );
  }
  checkAmount(amount ?? intent.amount, currency ?? intent.currency);
  checkApplicationFee(ctx.account, applicationFee, amount ?? intent.amount);
  if (customer !== undefined) assignCustomer(ctx, intent, customer);
  if (paymentMethod !== undefined) {
    assignPaymentMethod(ctx, intent, paymentMethod);
    intent.status = 'requires_confirmation';
    intent.next_action = null;
  }
  if (amount !== undefined) intent.amount = amount;
  if (currency !== undefined) intent.currency = currency;
  if (applicationFee !== undefined) intent.application_fee_amount = applicationFee;
  if (captureMethod !== undefined) intent.capture_method = captureMethod;
  if (setupFutureUsage !== undefined) intent.setup_future_usage = setupFutureUsage;
  if (methodTypes) {
    intent.allowed_payment_method_types = methodTypes.allowed;
    intent.payment_method_types = methodTypes.types;
    intent.automatic_payment_methods = methodTypes.automatic;
  }
  intent.payment_method_options = paymentMethodOptions(params, intent.payment_method_options);
  applyDescriptiveFields(intent, params);
  return intent;
}

function cancelPaymentIntent(ctx: ApiContext): JsonObject {
  const intent = findPaymentIntent(ctx.account, ctx.pathParams.intent, 'intent');
  const reason = ctx.params.enumValue('cancellation_reason', CANCELLATION_REASONS);
  if (!CANCELABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
    );
  }
  if (intent.status === 'requires_capture' && intent.latest_charge !== null) {
    releaseCharge(ctx, findCharge(ctx.account, intent.latest_charge, 'charge'));
  }
  intent.status = 'canceled';
  intent.canceled_at = nowSeconds();
  intent.cancellation_reason = reason ?? null;
  intent.amount_capturable = 0;
  intent.next_action = null;
  ctx.events.emit(ctx.account, 'payment_intent.canceled', intent);
  return intent;
}

function listPaymentIntents(ctx: ApiContext): JsonObject {
  const customer = ctx.params.string('customer');
  const intents = ctx.account.paymentIntents
    .newestFirst()
    .filter((intent) => customer === undefined || intent.customer === customer);
  return paginate(intents, ctx.params, '/v1/payment_intents', (intent) => intent);
}

export const paymentIntentRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/payment_intents', handler: createPaymentIntent },
  { method: 'GET', path: '/v1/payment_intents', handler: listPaymentIntents },
  {
    method: 'GET',
    path: '/v1/payment_intents/{intent}',
    handler: (ctx) => findPaymentIntent(ctx.account, ctx.pathParams.intent, 'intent'),
  },
  { method: 'POST', path: '/v1/payment_intents/{intent}', handler: updatePaymentIntent },
  { method: 'POST', path: '/v1/payment_intents/{intent}/cancel', handler: cancelPaymentIntent },
];
