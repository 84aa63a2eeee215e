import { invalidParam, invalidRequest, resourceMissing } from '../core/errors.js';
import { newId, nowSeconds } from '../core/ids.js';
import { cloneJson, type JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import type { ParamReader } from '../core/params.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { BillingDetails, CustomerObject, PaymentMethodObject } from '../state/objects.js';
import type { AccountState } from '../state/store.js';
import { findCustomer } from './lookups.js';
import {
  cardFingerprint,
  testCardByNumber,
  testCardByPaymentMethodId,
  testCardByToken,
  type CardOutcome,
  type TestCard,
} from './test-cards.js';

/** Test cards expire a few years ahead, like Stripe's. */
const CARD_EXPIRY_YEARS_AHEAD = 3;

function billingDetails(params: ParamReader | undefined): BillingDetails {
  const address = params?.child('address');
  const field = (reader: ParamReader | undefined, name: string): string | null => reader?.nullableString(name) ?? null;
  return {
    address: {
      city: field(address, 'city'),
      country: field(address, 'country'),
      line1: field(address, 'line1'),
      line2: field(address, 'line2'),
      postal_code: field(address, 'postal_code'),
      state: field(address, 'state'),
    },
    email: field(params, 'email'),
    name: field(params, 'name'),
    phone: field(params, 'phone'),
    tax_id: null,
  };
}

function storeMethod(account: AccountState, method: PaymentMethodObject, outcome: CardOutcome): PaymentMethodObject {
  account.paymentMethods.add(method);
  account.cardOutcomes.set(method.id, outcome);
  return method;
}

function methodFromTestCard(
  account: AccountState,
  card: TestCard,
  billing: BillingDetails,
  metadata: Record<string, string>,
): PaymentMethodObject {
  const method: PaymentMethodObject = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billing,
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + CARD_EXPIRY_YEARS_AHEAD,
      fingerprint: cardFingerprint(card),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: nowSeconds(),
    customer: null,
    livemode: false,
    metadata,
    type: 'card',
  };
  return storeMethod(account, method, card.outcome);
}

/**
 * A payment method of `account` by id. Shortcut ids (`pm_card_visa`, …) exist on every account:
 * each use creates a fresh `pm_…`, as in Stripe's test mode.
 */
export function resolvePaymentMethod(
  account: AccountState,
  id: string,
  param: string,
  status: 400 | 404 = 400,
): PaymentMethodObject {
  const testCard = testCardByPaymentMethodId(id);
  if (testCard) return methodFromTestCard(account, testCard, billingDetails(undefined), {});
  const method = account.paymentMethods.get(id);
  if (!method) throw resourceMissing('PaymentMethod', id, param, status);
  return method;
}

export function cardOutcomeOf(account: AccountState, method: PaymentMethodObject): CardOutcome {
  return account.cardOutcomes.get(method.id) ?? 'approve';
}

export function attachPaymentMethod(
  ctx: ApiContext,
  method: PaymentMethodObject,
  customer: CustomerObject,
): PaymentMethodObject {
  if (method.customer === customer.id) return method;
  if (method.customer !== null) {
    throw invalidRequest(
      `The payment method you provided has already been attached to a customer (${method.customer}).`,
      {
        param: 'payment_method',
      },
    );
  }
  method.customer = customer.id;
  ctx.events.emit(ctx.account, 'payment_method.attached', method);
  return method;
}

/** `type=card` with `card[token]=tok_visa` (or a test card number): a new method on the acting account. */
function createCardMethod(ctx: ApiContext): PaymentMethodObject {
  const { params } = ctx;
  const type = params.string('type');
  if (type === undefined) throw invalidParam('type', 'Missing required param: type.', 'parameter_missing');
  if (type !== 'card')
    throw invalidRequest('The Stripe emulator only supports payment methods of type `card`.', { param: 'type' });
  const card = params.child('card');
  if (!card) throw invalidParam('card', 'Missing required param: card.', 'parameter_missing');
  const token = card.string('token');
  const number = card.string('number');
  const testCard =
    token !== undefined ? testCardByToken(token) : number !== undefined ? testCardByNumber(number) : undefined;
  if (!testCard) {
    if (token !== undefined) throw resourceMissing('token', token, 'card[token]', 400);
    throw invalidRequest('Use `card[token]` with a test token such as `tok_visa`, or a Stripe test card number.', {
      param: 'card',
      code: 'incorrect_number',
    });
  }
  return methodFromTestCard(ctx.account, testCard, billingDetails(params.child('billing_details')), params.metadata());
}

/**
 * Connect cloning: with `Stripe-Account`, `customer` + `payment_method` name a platform customer and
 * its method; the result is an unattached copy on the connected account with the same card (and the
 * same test-card behaviour).
 */
function cloneFromPlatform(ctx: ApiContext, sourceId: string): PaymentMethodObject {
  const { params, state, account } = ctx;
  if (account.isPlatform) {
    throw invalidRequest(
      '`payment_method` can only be used to clone a payment method onto a connected account (set Stripe-Account).',
      {
        param: 'payment_method',
      },
    );
  }
  const customerId = params.string('customer');
  if (customerId !== undefined) findCustomer(state.platform, customerId, 'customer');
  const shortcut = testCardByPaymentMethodId(sourceId);
  if (shortcut) return methodFromTestCard(account, shortcut, billingDetails(undefined), params.metadata());
  const source = state.platform.paymentMethods.get(sourceId);
  if (!source) throw resourceMissing('PaymentMethod', sourceId, 'payment_method', 400);
  if (source.customer !== null && source.customer !== customerId) {
    throw invalidRequest(
      customerId === undefined
        ? `The payment method ${sourceId} is attached to a customer; pass that customer to clone it.`
        : `The payment method ${sourceId} does not belong to the customer ${customerId}.`,
      { param: customerId === undefined ? 'customer' : 'payment_method' },
    );
  }
  const copy: PaymentMethodObject = {
    ...cloneJson(source),
    id: newId('pm'),
    created: nowSeconds(),
    customer: null,
    metadata: params.metadata(),
  };
  return storeMethod(account, copy, cardOutcomeOf(state.platform, source));
}

function createPaymentMethod(ctx: ApiContext): JsonObject {
  const sourceId = ctx.params.string('payment_method');
  if (sourceId !== undefined) return cloneFromPlatform(ctx, sourceId);
  if (ctx.params.has('customer')) {
    throw invalidRequest('`customer` is only valid together with `payment_method` (cloning).', { param: 'customer' });
  }
  return createCardMethod(ctx);
}

function attachRoute(ctx: ApiContext): JsonObject {
  const customer = findCustomer(ctx.account, ctx.params.requiredString('customer'), 'customer');
  const method = resolvePaymentMethod(ctx.account, ctx.pathParams.payment_method, 'payment_method', 404);
  return attachPaymentMethod(ctx, method, customer);
}

function listPaymentMethods(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  const customerId = params.string('customer');
  if (customerId !== undefined) findCustomer(account, customerId, 'customer');
  const type = params.string('type');
  const methods = account.paymentMethods
    .newestFirst()
    .filter(
      (method) =>
        (customerId === undefined || method.customer === customerId) && (type === undefined || method.type === type),
    );
  return paginate(methods, params, '/v1/payment_methods', (method) => method);
}

export const paymentMethodRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/payment_methods', handler: createPaymentMethod },
  { method: 'GET', path: '/v1/payment_methods', handler: listPaymentMethods },
  { method: 'POST', path: '/v1/payment_methods/{payment_method}/attach', handler: attachRoute },
  {
    // Not in the spec subset, but part of Stripe's API and used with test shortcut ids.
    method: 'GET',
    path: '/v1/payment_methods/{payment_method}',
    handler: (ctx) => resolvePaymentMethod(ctx.account, ctx.pathParams.payment_method, 'payment_method', 404),
    extraContract: { params: ['expand'], required: [] },
  },
];
