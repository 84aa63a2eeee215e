import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, cloneCard, onboardedAccount, platformCustomerWithCard, startEmulator } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

async function accountEvents(account: string): Promise<Stripe.Event[]> {
  return (await stripe.events.list({ type: 'account.updated' }, { stripeAccount: account })).data;
}

describe('Connect accounts', () => {
  it('creates a connected account that cannot charge yet', async () => {
    const account = await stripe.accounts.create({
      type: 'express',
      country: 'FR',
      email: 'op@example.test',
      capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
      metadata: { operator: 'op_1' },
    });
    expect(account).toMatchObject({
      object: 'account',
      type: 'express',
      country: 'FR',
      default_currency: 'eur',
      email: 'op@example.test',
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      capabilities: { card_payments: 'inactive', transfers: 'inactive' },
      metadata: { operator: 'op_1' },
    });
    expect(account.id).toMatch(/^acct_[0-9A-Za-z]{16}$/);
    expect(account.requirements?.currently_due).toContain('external_account');
  });

  it('completes onboarding when the account link is opened and emits account.updated as a Connect event', async () => {
    const account = await stripe.accounts.create({ type: 'express', country: 'DE' });
    const link = await stripe.accountLinks.create({
      account: account.id,
      type: 'account_onboarding',
      refresh_url: 'https://platform.example/refresh',
      return_url: 'https://platform.example/return',
    });
    expect(link.object).toBe('account_link');
    expect(link.url.startsWith(`${emulator.url}/_emulator/connect/onboarding/`)).toBe(true);
    expect(link.expires_at).toBeGreaterThan(link.created);

    const page = await fetch(link.url, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('https://platform.example/return');

    const onboarded = await stripe.accounts.retrieve(account.id);
    expect(onboarded).toMatchObject({
      charges_enabled: true,
      payouts_enabled: true,
      details_submitted: true,
      capabilities: { card_payments: 'active', transfers: 'active' },
    });
    expect(onboarded.requirements?.currently_due).toEqual([]);

    const [event] = await accountEvents(account.id);
    expect(event).toMatchObject({
      type: 'account.updated',
      account: account.id,
      data: { object: { id: account.id, charges_enabled: true }, previous_attributes: { charges_enabled: false } },
    });
    const platformEvents = await stripe.events.list({ type: 'account.updated' });
    expect(platformEvents.data.map((e) => e.id)).not.toContain(event.id);
  });

  it('onboards through the seeding endpoint, and a second onboarding changes nothing', async () => {
    const account = await onboardedAccount(emulator, stripe);
    const again = await fetch(`${emulator.url}/_emulator/accounts/${account}/onboard`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await accountEvents(account)).toHaveLength(1);
    const unknown = await fetch(`${emulator.url}/_emulator/accounts/acct_nope/onboard`, { method: 'POST' });
    expect(unknown.status).toBe(404);
  });

  it('keeps updates and announces them with previous_attributes', async () => {
    const account = await stripe.accounts.create({ type: 'standard', country: 'US' });
    const updated = await stripe.accounts.update(account.id, {
      email: 'billing@example.test',
      business_profile: { name: 'Volt & Co', url: 'https://volt.example' },
      metadata: { tier: 'gold' },
    });
    expect(updated).toMatchObject({
      email: 'billing@example.test',
      business_profile: { name: 'Volt & Co' },
      metadata: { tier: 'gold' },
    });
    const [event] = await accountEvents(account.id);
    expect(event.data.previous_attributes).toMatchObject({ email: null, metadata: {} });
    expect((await stripe.accounts.retrieve(account.id)).metadata).toEqual({ tier: 'gold' });
  });

  it('lists and deletes connected accounts; unknown accounts are refused with account_invalid (403)', async () => {
    const account = await stripe.accounts.create({
      type: 'custom',
      country: 'NL',
      capabilities: { card_payments: { requested: true } },
    });
    const listed = await stripe.accounts.list({ limit: 100 });
    expect(listed.data.map((a) => a.id)).toContain(account.id);

    await expect(stripe.accounts.del(account.id)).resolves.toMatchObject({
      id: account.id,
      object: 'account',
      deleted: true,
    });
    const refused = stripe.balance.retrieve({}, { stripeAccount: account.id });
    await expect(refused).rejects.toMatchObject({
      type: 'StripePermissionError',
      statusCode: 403,
      code: 'account_invalid',
    });
    await expect(stripe.accounts.retrieve(account.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('refuses platform-only requests made on behalf of a connected account', async () => {
    const account = await onboardedAccount(emulator, stripe);
    const attempt = stripe.accounts.create({ type: 'express' }, { stripeAccount: account });
    await expect(attempt).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'platform_account_required',
    });
  });

  it('refuses charges on an account that has not finished onboarding', async () => {
    const account = await stripe.accounts.create({ type: 'express', country: 'DE' });
    const paymentMethod = await cloneCard(stripe, account.id, await platformCustomerWithCard(stripe));
    const attempt = stripe.paymentIntents.create(
      { amount: 1000, currency: 'eur', payment_method: paymentMethod, confirm: true, ...CARD_ONLY },
      { stripeAccount: account.id },
    );
    await expect(attempt).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      message: expect.stringContaining('card_payments'),
    });
  });
});
