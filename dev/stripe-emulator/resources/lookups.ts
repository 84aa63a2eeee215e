import { resourceMissing } from '../core/errors.js';
import type { ChargeObject, CustomerObject, PaymentIntentObject } from '../state/objects.js';
import type { AccountState } from '../state/store.js';

/** Lookups on the acting account; 404 for objects named in the path, 400 for ones named in a parameter. */
export function findCustomer(
  account: AccountState,
  id: string,
  param: string,
  status: 400 | 404 = 400,
): CustomerObject {
  const customer = account.customers.get(id);
  if (!customer) throw resourceMissing('customer', id, param, status);
  return customer;
}

export function findPaymentIntent(
  account: AccountState,
  id: string,
  param: string,
  status: 400 | 404 = 404,
): PaymentIntentObject {
  const intent = account.paymentIntents.get(id);
  if (!intent) throw resourceMissing('payment_intent', id, param, status);
  return intent;
}

export function findCharge(account: AccountState, id: string, param: string, status: 400 | 404 = 404): ChargeObject {
  const charge = account.charges.get(id);
  if (!charge) throw resourceMissing('charge', id, param, status);
  return charge;
}
