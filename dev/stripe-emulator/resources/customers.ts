import { invalidRequest } from '../core/errors.js';
import { newId, nowSeconds, randomToken } from '../core/ids.js';
import type { JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { CustomerObject } from '../state/objects.js';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.js';

function createCustomer(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  const paymentMethodId = params.string('payment_method');
  const defaultPaymentMethod = params.child('invoice_settings')?.string('default_payment_method');
  const customer: CustomerObject = {
    id: newId('cus', 14),
    object: 'customer',
    address: params.hash('address') ?? null,
    balance: params.integer('balance') ?? 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: params.nullableString('description') ?? null,
    discount: null,
    email: params.nullableString('email') ?? null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: params.metadata(),
    name: params.nullableString('name') ?? null,
    next_invoice_sequence: 1,
    phone: params.nullableString('phone') ?? null,
    preferred_locales: params.stringList('preferred_locales') ?? [],
    shipping: params.hash('shipping') ?? null,
    tax_exempt: params.enumValue('tax_exempt', ['exempt', 'none', 'reverse'] as const) ?? 'none',
    test_clock: null,
  };
  // A new customer has no methods yet: its default can only be the one attached by this request.
  if (defaultPaymentMethod !== undefined && defaultPaymentMethod !== paymentMethodId) {
    throw invalidRequest('The default payment method must be the `payment_method` attached by this request.', {
      param: 'invoice_settings[default_payment_method]',
    });
  }
  // Resolve the method before storing anything, so a bad id leaves no half-made customer.
  const method =
    paymentMethodId === undefined ? undefined : resolvePaymentMethod(account, paymentMethodId, 'payment_method');
  account.customers.add(customer);
  ctx.events.emit(account, 'customer.created', customer);
  if (method) {
    attachPaymentMethod(ctx, method, customer);
    if (defaultPaymentMethod !== undefined) customer.invoice_settings.default_payment_method = method.id;
  }
  return customer;
}

function listCustomers(ctx: ApiContext): JsonObject {
  const email = ctx.params.string('email');
  const customers = ctx.account.customers
    .newestFirst()
    .filter((customer) => email === undefined || customer.email === email);
  return paginate(customers, ctx.params, '/v1/customers', (customer) => customer);
}

export const customerRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/customers', handler: createCustomer },
  { method: 'GET', path: '/v1/customers', handler: listCustomers },
];
