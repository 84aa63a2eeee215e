import { invalidParam, invalidRequest, unsupportedByEmulator } from '../core/errors.js';
import { formatAmount, minimumChargeAmount } from '../core/money.js';
import type { ParamReader } from '../core/params.js';
import type { ApiContext } from '../http/router.js';
import type { PaymentIntentObject } from '../state/objects.js';
import type { AccountState } from '../state/store.js';
import { findCustomer } from './lookups.js';
import { resolvePaymentMethod } from './payment-methods.js';

/** Shared parameter rules of PaymentIntent create, update and confirm. */

const MAX_AMOUNT = 99_999_999;
const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
const SETUP_FUTURE_USAGE = ['off_session', 'on_session'] as const;

/** Accepted by the spec but changing behaviour the emulator does not model: refused rather than ignored. */
const UNSUPPORTED = [
  'transfer_data',
  'on_behalf_of',
  'payment_method_data',
  'confirmation_token',
  'customer_account',
  'mandate',
  'mandate_data',
];

export function rejectUnsupported(params: ParamReader): void {
  const name = UNSUPPORTED.find((candidate) => params.has(candidate));
  if (name !== undefined) throw unsupportedByEmulator(name);
}

export function readCurrency(params: ParamReader, required: true): string;
export function readCurrency(params: ParamReader, required?: false): string | undefined;
export function readCurrency(params: ParamReader, required = false): string | undefined {
  const raw = required ? params.requiredString('currency') : params.string('currency');
  const currency = raw?.toLowerCase();
  if (currency !== undefined && !/^[a-z]{3}$/.test(currency))
    throw invalidParam('currency', `Invalid currency: ${currency}`);
  return currency;
}

export function checkAmount(amount: number, currency: string): void {
  const minimum = minimumChargeAmount(currency);
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${formatAmount(minimum, currency)}`, {
      code: 'amount_too_small',
      param: 'amount',
    });
  }
  if (amount > MAX_AMOUNT) {
    throw invalidRequest(`Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)}`, {
      code: 'amount_too_large',
      param: 'amount',
    });
  }
}

/** Application fees exist only on direct charges: requests made with `Stripe-Account`. */
export function checkApplicationFee(account: AccountState, fee: number | undefined, amount: number): void {
  if (fee === undefined || fee === 0) return;
  if (account.isPlatform) {
    throw invalidRequest(
      'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
      { param: 'application_fee_amount' },
    );
  }
  if (fee > amount)
    throw invalidRequest('application_fee_amount must be less than or equal to the amount.', {
      param: 'application_fee_amount',
    });
}

export interface MethodTypes {
  allowed: string[] | null;
  types: string[];
  automatic: PaymentIntentObject['automatic_payment_methods'];
}

/**
 * `allowed_payment_method_types` (stripe@23) / `payment_method_types` (older) or
 * `automatic_payment_methods`, which is the default when neither is given.
 */
export function readMethodTypes(params: ParamReader, useDefault: boolean): MethodTypes | undefined {
  const allowed = params.stringList('allowed_payment_method_types');
  const legacy = params.stringList('payment_method_types');
  const automaticParams = params.child('automatic_payment_methods');
  const types = allowed ?? legacy;
  if (types && automaticParams) {
    throw invalidParam(
      'automatic_payment_methods',
      'You may only specify one of these parameters: automatic_payment_methods, payment_method_types.',
      'parameters_exclusive',
    );
  }
  if (types) {
    const unsupported = types.find((type) => type !== 'card');
    if (unsupported !== undefined) {
      throw invalidRequest(
        `The payment method type "${unsupported}" is not supported by the Stripe emulator (only "card").`,
        {
          code: 'payment_intent_invalid_parameter',
          param: allowed ? 'allowed_payment_method_types' : 'payment_method_types',
        },
      );
    }
    return { allowed: allowed ?? null, types: ['card'], automatic: null };
  }
  if (!automaticParams && !useDefault) return undefined;
  return {
    allowed: null,
    types: ['card'],
    automatic: {
      enabled: automaticParams?.boolean('enabled') ?? true,
      allow_redirects: automaticParams?.enumValue('allow_redirects', ['always', 'never'] as const) ?? 'always',
    },
  };
}

export function readCaptureMethod(params: ParamReader): PaymentIntentObject['capture_method'] | undefined {
  return params.enumValue('capture_method', CAPTURE_METHODS);
}

export function readSetupFutureUsage(params: ParamReader): PaymentIntentObject['setup_future_usage'] | undefined {
  const value = params.string('setup_future_usage');
  if (value === '') return null;
  return params.enumValue('setup_future_usage', SETUP_FUTURE_USAGE);
}

/** `off_session` is a boolean, or `one_off` / `recurring` (both mean true). */
export function readOffSession(params: ParamReader): boolean | undefined {
  const value = params.string('off_session');
  if (value === 'one_off' || value === 'recurring') return true;
  return params.boolean('off_session');
}

/**
 * Sets the intent's payment method (shortcut ids create a fresh one). A method attached to a customer
 * can only be used by a PaymentIntent of that same customer.
 */
export function assignPaymentMethod(ctx: ApiContext, intent: PaymentIntentObject, id: string): void {
  const method = resolvePaymentMethod(ctx.account, id, 'payment_method');
  if (method.customer !== null && method.customer !== intent.customer) {
    throw invalidRequest(
      intent.customer === null
        ? 'The provided PaymentMethod is attached to a Customer. Please include the Customer in the `customer` parameter on the PaymentIntent.'
        : `The provided PaymentMethod belongs to a different Customer than ${intent.customer}.`,
      { param: 'payment_method' },
    );
  }
  intent.payment_method = method.id;
}

export function assignCustomer(ctx: ApiContext, intent: PaymentIntentObject, id: string | null): void {
  intent.customer = id === null ? null : findCustomer(ctx.account, id, 'customer').id;
}
