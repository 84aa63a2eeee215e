import Stripe from 'stripe';
import {
  startStripeEmulator,
  type StripeEmulator,
  type StripeEmulatorOptions,
} from '../../../dev/stripe-emulator/index.js';

export const TEST_KEY = 'sk_test_emulator';

/** An SDK client on the emulator. Retries are off unless a test asks for them (they sleep ≥ 0.5 s). */
export function sdk(emulator: StripeEmulator, config: Stripe.StripeConfig = {}): Stripe {
  return new Stripe(TEST_KEY, { ...emulator.clientOptions, maxNetworkRetries: 0, ...config });
}

export async function startEmulator(
  options: StripeEmulatorOptions = {},
): Promise<{ emulator: StripeEmulator; stripe: Stripe }> {
  const emulator = await startStripeEmulator({ port: 0, ...options });
  return { emulator, stripe: sdk(emulator) };
}

/** A connected account that finished onboarding (through the emulator's seeding endpoint). */
export async function onboardedAccount(emulator: StripeEmulator, stripe: Stripe, country = 'DE'): Promise<string> {
  const account = await stripe.accounts.create({ type: 'express', country, email: 'operator@example.test' });
  const response = await fetch(`${emulator.url}/_emulator/accounts/${account.id}/onboard`, { method: 'POST' });
  if (!response.ok) throw new Error(`onboarding failed: ${response.status}`);
  return account.id;
}

/** A platform customer with a saved card (`pm_card_*` shortcut), as the driver's "save a card once" step. */
export async function platformCustomerWithCard(
  stripe: Stripe,
  card = 'pm_card_visa',
): Promise<{ customer: string; paymentMethod: string }> {
  const customer = await stripe.customers.create({ email: 'driver@example.test' });
  const method = await stripe.paymentMethods.attach(card, { customer: customer.id });
  return { customer: customer.id, paymentMethod: method.id };
}

/** Clones the platform customer's card onto the connected account (Connect direct charges). */
export async function cloneCard(
  stripe: Stripe,
  account: string,
  saved: { customer: string; paymentMethod: string },
): Promise<string> {
  const clone = await stripe.paymentMethods.create(
    { customer: saved.customer, payment_method: saved.paymentMethod },
    { stripeAccount: account },
  );
  return clone.id;
}

/** Onboarded account plus a card cloned onto it: everything a direct charge needs. */
export async function chargeableAccount(
  emulator: StripeEmulator,
  stripe: Stripe,
  card = 'pm_card_visa',
): Promise<{ account: string; paymentMethod: string }> {
  const account = await onboardedAccount(emulator, stripe);
  const paymentMethod = await cloneCard(stripe, account, await platformCustomerWithCard(stripe, card));
  return { account, paymentMethod };
}

/** Card-only intents, which need no `return_url` when confirmed server-side. */
export const CARD_ONLY: Pick<Stripe.PaymentIntentCreateParams, 'allowed_payment_method_types'> = {
  allowed_payment_method_types: ['card'],
};

/** The SDK error a request fails with (fails the test if it succeeds). */
export async function rejectionOf(request: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await request;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}
