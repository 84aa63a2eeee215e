import { invalidRequest } from '../core/errors.js';
import { newId, nowSeconds } from '../core/ids.js';
import { cloneJson, isJsonObject, previousAttributes, type JsonObject } from '../core/json.js';
import { processingFee } from '../core/money.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { ChargeObject, FeeDetail, PaymentIntentObject, PaymentMethodObject } from '../state/objects.js';
import { createApplicationFee } from './application-fees.js';
import { recordBalanceTransaction } from './ledger.js';
import { findCharge, findCustomer } from './lookups.js';
import { INCREMENTAL_AUTHORIZATION_BRANDS } from './test-cards.js';

/** Why an issuer refused a charge, in the words Stripe uses. */
export interface Decline {
  code: 'card_declined' | 'authentication_required';
  declineCode: string;
  message: string;
}

function statementDescriptor(intent: PaymentIntentObject): string {
  if (intent.statement_descriptor) return intent.statement_descriptor;
  return intent.statement_descriptor_suffix ? `EMULATOR* ${intent.statement_descriptor_suffix}` : 'EMULATOR';
}

function outcome(decline: Decline | undefined): JsonObject {
  if (!decline) {
    return {
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      risk_score: 32,
      seller_message: 'Payment complete.',
      type: 'authorized',
    };
  }
  return {
    network_status: 'declined_by_network',
    reason: decline.declineCode,
    risk_level: 'normal',
    risk_score: 40,
    seller_message: 'The bank did not return any further details with this decline.',
    type: 'issuer_declined',
  };
}

function cardDetails(method: PaymentMethodObject, intent: PaymentIntentObject): JsonObject {
  const card = method.card;
  const cardOptions = intent.payment_method_options.card;
  // Asked for (`if_available`) and offered by the card's network.
  const incremental =
    isJsonObject(cardOptions) &&
    cardOptions.request_incremental_authorization === 'if_available' &&
    INCREMENTAL_AUTHORIZATION_BRANDS.has(card.brand);
  return {
    amount_authorized: intent.amount,
    brand: card.brand,
    checks: cloneJson(card.checks),
    country: card.country,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    extended_authorization: { status: 'disabled' },
    fingerprint: card.fingerprint,
    funding: card.funding,
    incremental_authorization: { status: incremental ? 'available' : 'unavailable' },
    installments: null,
    last4: card.last4,
    mandate: null,
    multicapture: { status: 'unavailable' },
    network: card.brand,
    network_token: { used: false },
    overcapture: { maximum_amount_capturable: intent.amount, status: 'unavailable' },
    three_d_secure: null,
    wallet: null,
  };
}

/** A new charge for the intent's amount on the acting account: authorized (uncaptured) or failed. */
export function createCharge(
  ctx: ApiContext,
  intent: PaymentIntentObject,
  method: PaymentMethodObject,
  decline?: Decline,
): ChargeObject {
  const id = newId('ch');
  return ctx.account.charges.add({
    id,
    object: 'charge',
    amount: intent.amount,
    amount_captured: 0,
    amount_refunded: 0,
    application: ctx.account.isPlatform ? null : ctx.state.applicationId,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: cloneJson(method.billing_details),
    calculated_statement_descriptor: statementDescriptor(intent),
    captured: false,
    created: nowSeconds(),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: decline ? decline.code : null,
    failure_message: decline ? decline.message : null,
    fraud_details: {},
    livemode: false,
    metadata: { ...intent.metadata },
    on_behalf_of: null,
    outcome: outcome(decline),
    paid: decline === undefined,
    payment_intent: intent.id,
    payment_method: method.id,
    payment_method_details: { card: cardDetails(method, intent), type: 'card' },
    radar_options: {},
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: intent.shipping === null ? null : cloneJson(intent.shipping),
    source_transfer: null,
    statement_descriptor: intent.statement_descriptor,
    statement_descriptor_suffix: intent.statement_descriptor_suffix,
    status: decline ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: intent.transfer_group,
  });
}

/**
 * Captures `amount` of an authorized charge and moves the money on the account that owns it:
 * a `charge` balance transaction whose fee is the processing fee plus the application fee (which goes
 * to the platform as an ApplicationFee). An uncaptured remainder is released and, as on Stripe, shows
 * up in `amount_refunded` without a Refund object or balance transaction.
 */
export function captureCharge(
  ctx: ApiContext,
  charge: ChargeObject,
  amount: number,
  applicationFeeAmount: number,
): void {
  charge.captured = true;
  charge.amount_captured = amount;
  charge.amount_refunded = charge.amount - amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  const feeDetails: FeeDetail[] = [
    {
      amount: processingFee(amount, charge.currency),
      application: null,
      currency: charge.currency,
      description: 'Stripe processing fees',
      type: 'stripe_fee',
    },
  ];
  if (applicationFeeAmount > 0) {
    const fee = createApplicationFee(ctx, charge, applicationFeeAmount);
    charge.application_fee = fee.id;
    charge.application_fee_amount = applicationFeeAmount;
    feeDetails.push({
      amount: applicationFeeAmount,
      application: ctx.state.applicationId,
      currency: charge.currency,
      description: 'Application fee',
      type: 'application_fee',
    });
  }
  const txn = recordBalanceTransaction(ctx.account, {
    amount,
    currency: charge.currency,
    type: 'charge',
    reportingCategory: 'charge',
    source: charge.id,
    description: charge.description,
    feeDetails,
  });
  charge.balance_transaction = txn.id;
}

/** Releases the whole authorization of an uncaptured charge (PaymentIntent canceled). */
export function releaseCharge(ctx: ApiContext, charge: ChargeObject): void {
  if (charge.captured || charge.status !== 'succeeded') return;
  charge.amount_refunded = charge.amount;
  charge.refunded = true;
  ctx.events.emit(ctx.account, 'charge.refunded', charge);
}

function updateCharge(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  const charge = findCharge(account, ctx.pathParams.charge, 'charge');
  const before = cloneJson(charge);
  const customer = params.string('customer');
  if (customer !== undefined) {
    if (charge.customer !== null && charge.customer !== customer) {
      throw invalidRequest('This charge already has a customer.', { param: 'customer' });
    }
    charge.customer = findCustomer(account, customer, 'customer').id;
  }
  const description = params.nullableString('description');
  if (description !== undefined) charge.description = description;
  const receiptEmail = params.nullableString('receipt_email');
  if (receiptEmail !== undefined) charge.receipt_email = receiptEmail;
  const transferGroup = params.nullableString('transfer_group');
  if (transferGroup !== undefined) charge.transfer_group = transferGroup;
  const shipping = params.hash('shipping');
  if (shipping !== undefined) charge.shipping = shipping;
  const fraud = params.hash('fraud_details');
  if (fraud) charge.fraud_details = { ...charge.fraud_details, ...fraud };
  charge.metadata = params.metadata(charge.metadata);
  const previous = previousAttributes(before, charge);
  if (previous) ctx.events.emit(account, 'charge.updated', charge, previous);
  return charge;
}

export const chargeRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/v1/charges/{charge}',
    handler: (ctx) => findCharge(ctx.account, ctx.pathParams.charge, 'charge'),
  },
  { method: 'POST', path: '/v1/charges/{charge}', handler: updateCharge },
];
