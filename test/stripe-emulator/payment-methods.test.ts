import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, onboardedAccount, platformCustomerWithCard, startEmulator } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

describe('payment methods', () => {
  it('resolves test shortcut ids to fresh card payment methods', async () => {
    const first = await stripe.paymentMethods.retrieve('pm_card_visa');
    const second = await stripe.paymentMethods.retrieve('pm_card_visa');
    expect(first.id).toMatch(/^pm_[0-9A-Za-z]{24}$/);
    expect(second.id).not.toBe(first.id);
    expect(first).toMatchObject({ object: 'payment_method', type: 'card', customer: null, livemode: false });
    expect(first.card).toMatchObject({ brand: 'visa', last4: '4242', country: 'US', funding: 'credit', exp_month: 12 });
    expect(first.card?.exp_year).toBeGreaterThan(new Date().getUTCFullYear());
    const mastercard = await stripe.paymentMethods.retrieve('pm_card_mastercard');
    expect(mastercard.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
  });

  it('creates a card from a test token, attaches it and lists it by customer', async () => {
    const customer = await stripe.customers.create({ email: 'a@example.test', name: 'Ada' });
    const method = await stripe.paymentMethods.create({
      type: 'card',
      card: { token: 'tok_mastercard' },
      billing_details: { name: 'Ada Lovelace', address: { country: 'GB' } },
    });
    expect(method.card?.last4).toBe('4444');
    expect(method.billing_details).toMatchObject({ name: 'Ada Lovelace', address: { country: 'GB', city: null } });
    const attached = await stripe.paymentMethods.attach(method.id, { customer: customer.id });
    expect(attached.customer).toBe(customer.id);
    const viaShortcut = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const listed = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    expect(listed).toMatchObject({ object: 'list', has_more: false, url: '/v1/payment_methods' });
    expect(listed.data.map((m) => m.id)).toEqual([viaShortcut.id, method.id]);
    await expect(stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_nope' } })).rejects.toMatchObject({
      code: 'resource_missing',
      param: 'card[token]',
    });
  });

  it('a customer created with payment_method has it attached (and as default when asked)', async () => {
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const [method] = (await stripe.paymentMethods.list({ customer: customer.id })).data;
    expect(customer.invoice_settings.default_payment_method).toBe(method.id);
    const found = await stripe.customers.list({ email: 'nobody@example.test' });
    expect(found.data).toEqual([]);
  });

  it('clones a platform customer’s card onto a connected account', async () => {
    const account = await onboardedAccount(emulator, stripe);
    const saved = await platformCustomerWithCard(stripe, 'pm_card_mastercard');
    const original = await stripe.paymentMethods.retrieve(saved.paymentMethod);
    const clone = await stripe.paymentMethods.create(
      { customer: saved.customer, payment_method: saved.paymentMethod, metadata: { session: 's_1' } },
      { stripeAccount: account },
    );
    expect(clone.id).not.toBe(original.id);
    expect(clone.customer).toBeNull();
    expect(clone.metadata).toEqual({ session: 's_1' });
    expect(clone.card).toEqual(original.card);
    // The clone lives on the connected account only.
    await expect(stripe.paymentMethods.retrieve(clone.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(stripe.paymentMethods.retrieve(clone.id, {}, { stripeAccount: account })).resolves.toMatchObject({
      id: clone.id,
    });
  });

  it('a clone keeps the decline behaviour of the original card', async () => {
    const account = await onboardedAccount(emulator, stripe);
    const saved = await platformCustomerWithCard(stripe, 'pm_card_chargeDeclinedInsufficientFunds');
    const clone = await stripe.paymentMethods.create(
      { customer: saved.customer, payment_method: saved.paymentMethod },
      { stripeAccount: account },
    );
    const attempt = stripe.paymentIntents.create(
      { amount: 2000, currency: 'eur', payment_method: clone.id, confirm: true, off_session: true, ...CARD_ONLY },
      { stripeAccount: account },
    );
    await expect(attempt).rejects.toMatchObject({ type: 'StripeCardError', decline_code: 'insufficient_funds' });
  });

  it('refuses the usual Connect mistakes', async () => {
    const account = await onboardedAccount(emulator, stripe);
    const saved = await platformCustomerWithCard(stripe);
    const other = await platformCustomerWithCard(stripe);
    // A platform method used directly on the connected account does not exist there.
    const direct = stripe.paymentIntents.create(
      { amount: 1000, currency: 'eur', payment_method: saved.paymentMethod, ...CARD_ONLY },
      { stripeAccount: account },
    );
    await expect(direct).rejects.toMatchObject({ code: 'resource_missing', param: 'payment_method' });
    // Cloning needs the customer the method belongs to…
    const wrongCustomer = stripe.paymentMethods.create(
      { customer: other.customer, payment_method: saved.paymentMethod },
      { stripeAccount: account },
    );
    await expect(wrongCustomer).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'payment_method' });
    // …and the Stripe-Account header.
    const onPlatform = stripe.paymentMethods.create({ customer: saved.customer, payment_method: saved.paymentMethod });
    await expect(onPlatform).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'payment_method' });
  });
});
