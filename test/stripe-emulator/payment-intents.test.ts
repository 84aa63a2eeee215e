import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, chargeableAccount, rejectionOf, startEmulator } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

/** Stripe fee of the emulator's model for two-decimal currencies: round(2.9 %) + 30. */
const fee = (amount: number): number => Math.round(amount * 0.029) + 30;

async function charge(id: string, account: string): Promise<Stripe.Charge> {
  return stripe.charges.retrieve(id, {}, { stripeAccount: account });
}

describe('holds and captures on a connected account', () => {
  it('places a hold, captures part of it with an application fee, and moves the money', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const hold = await stripe.paymentIntents.create(
      {
        amount: 5000,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        metadata: { session: 'sess_1' },
        description: 'Charging session sess_1',
        statement_descriptor_suffix: 'SESS1',
        ...CARD_ONLY,
      },
      { stripeAccount: account, idempotencyKey: 'hold-sess_1' },
    );
    expect(hold).toMatchObject({
      object: 'payment_intent',
      status: 'requires_capture',
      amount: 5000,
      amount_capturable: 5000,
      amount_received: 0,
      capture_method: 'manual',
      payment_method: paymentMethod,
      allowed_payment_method_types: ['card'],
      automatic_payment_methods: null,
      livemode: false,
    });
    expect(hold.id).toMatch(/^pi_/);
    expect(hold.latest_charge).toMatch(/^ch_/);
    expect(emulator.balanceOf(account, 'eur')).toEqual({ available: 0, pending: 0 });

    const captured = await stripe.paymentIntents.capture(
      hold.id,
      { amount_to_capture: 3000, application_fee_amount: 200 },
      { stripeAccount: account },
    );
    expect(captured).toMatchObject({
      status: 'succeeded',
      amount_received: 3000,
      amount_capturable: 0,
      application_fee_amount: 200,
    });

    const capturedCharge = await charge(String(captured.latest_charge), account);
    expect(capturedCharge).toMatchObject({
      amount: 5000,
      amount_captured: 3000,
      amount_refunded: 2000,
      captured: true,
      refunded: false,
      paid: true,
      status: 'succeeded',
      application_fee_amount: 200,
      payment_intent: hold.id,
      metadata: { session: 'sess_1' },
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    });
    expect(emulator.balanceOf(account, 'eur')).toEqual({ available: 3000 - fee(3000) - 200, pending: 0 });
    expect(emulator.balanceOf('platform', 'eur')).toEqual({ available: 200, pending: 0 });

    const [txn] = (await stripe.balanceTransactions.list({ source: capturedCharge.id }, { stripeAccount: account }))
      .data;
    expect(txn.id).toBe(capturedCharge.balance_transaction);
    expect(txn).toMatchObject({
      type: 'charge',
      amount: 3000,
      fee: fee(3000) + 200,
      net: 3000 - fee(3000) - 200,
      source: capturedCharge.id,
    });
    expect(txn.fee_details.map((d) => [d.type, d.amount])).toEqual([
      ['stripe_fee', fee(3000)],
      ['application_fee', 200],
    ]);
    const [applicationFee] = (await stripe.applicationFees.list({ charge: capturedCharge.id })).data;
    expect(applicationFee).toMatchObject({
      amount: 200,
      account,
      charge: capturedCharge.id,
      currency: 'eur',
      refunded: false,
    });
    expect(capturedCharge.application_fee).toBe(applicationFee.id);
    const platformTxns = await stripe.balanceTransactions.list({ type: 'application_fee' });
    expect(platformTxns.data.map((t) => [t.amount, t.source])).toContainEqual([200, applicationFee.id]);

    const balance = await stripe.balance.retrieve({}, { stripeAccount: account });
    expect(balance.available).toEqual([
      { amount: 3000 - fee(3000) - 200, currency: 'eur', source_types: { card: 3000 - fee(3000) - 200 } },
    ]);

    const events = (await stripe.events.list({}, { stripeAccount: account })).data.map((e) => e.type);
    expect(events.slice(0, 5)).toEqual([
      'payment_intent.succeeded',
      'charge.captured',
      'payment_intent.amount_capturable_updated',
      'charge.succeeded',
      'payment_intent.created',
    ]);
  });

  it('with no application fee the platform receives nothing', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const platformBefore = emulator.balanceOf('platform', 'eur');
    const hold = await stripe.paymentIntents.create(
      {
        amount: 2500,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    const captured = await stripe.paymentIntents.capture(hold.id, {}, { stripeAccount: account });
    expect(captured).toMatchObject({ amount_received: 2500, application_fee_amount: null });
    expect((await charge(String(captured.latest_charge), account)).application_fee).toBeNull();
    expect(emulator.balanceOf(account, 'eur')).toEqual({ available: 2500 - fee(2500), pending: 0 });
    expect(emulator.balanceOf('platform', 'eur')).toEqual(platformBefore);
  });

  it('raises a hold with increment_authorization when the intent asked for it', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const hold = await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    const raised = await stripe.paymentIntents.incrementAuthorization(
      hold.id,
      { amount: 3500 },
      { stripeAccount: account },
    );
    expect(raised).toMatchObject({ amount: 3500, amount_capturable: 3500, status: 'requires_capture' });
    const captured = await stripe.paymentIntents.capture(hold.id, {}, { stripeAccount: account });
    expect(captured.amount_received).toBe(3500);
  });

  it.each([
    ['pm_card_visa', 'available'],
    ['pm_card_jcb', 'unavailable'],
  ])(
    'reports on the charge whether %s can be incremented (%s), and refuses to increment when not',
    async (card, status) => {
      const { account, paymentMethod } = await chargeableAccount(emulator, stripe, card);
      const onAccount = { stripeAccount: account };
      const hold = await stripe.paymentIntents.create(
        {
          amount: 2000,
          currency: 'eur',
          payment_method: paymentMethod,
          capture_method: 'manual',
          confirm: true,
          payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
          expand: ['latest_charge'],
          ...CARD_ONLY,
        },
        onAccount,
      );
      const latest = hold.latest_charge as Stripe.Charge;
      expect(latest.payment_method_details?.card?.incremental_authorization?.status).toBe(status);
      if (status === 'available') return;
      const refused = await rejectionOf(
        stripe.paymentIntents.incrementAuthorization(hold.id, { amount: 3000 }, onAccount),
      );
      expect(refused).toMatchObject({ statusCode: 400, code: 'incremental_authorization_unavailable' });
      expect(await stripe.paymentIntents.retrieve(hold.id, {}, onAccount)).toMatchObject({
        amount: 2000,
        amount_capturable: 2000,
      });
    },
  );

  it('declines an increment on pm_card_incrementDeclined with card_declined and changes nothing', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe, 'pm_card_incrementDeclined');
    const onAccount = { stripeAccount: account };
    const hold = await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
        ...CARD_ONLY,
      },
      onAccount,
    );
    expect(hold.status).toBe('requires_capture');
    const declined = await rejectionOf(
      stripe.paymentIntents.incrementAuthorization(hold.id, { amount: 3000 }, onAccount),
    );
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds' });
    expect(await stripe.paymentIntents.retrieve(hold.id, {}, onAccount)).toMatchObject({
      amount: 2000,
      amount_capturable: 2000,
      status: 'requires_capture',
    });
    const captured = await stripe.paymentIntents.capture(hold.id, {}, onAccount);
    expect(captured.amount_received).toBe(2000);
  });

  it('cancels a hold, releasing the authorization', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const hold = await stripe.paymentIntents.create(
      {
        amount: 4000,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    const canceled = await stripe.paymentIntents.cancel(
      hold.id,
      { cancellation_reason: 'abandoned' },
      { stripeAccount: account },
    );
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', amount_capturable: 0 });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    expect(await charge(String(hold.latest_charge), account)).toMatchObject({
      captured: false,
      refunded: true,
      amount_refunded: 4000,
    });
    await expect(stripe.paymentIntents.capture(hold.id, {}, { stripeAccount: account })).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    expect(emulator.balanceOf(account, 'eur')).toEqual({ available: 0, pending: 0 });
  });

  it('refuses to capture more than is capturable', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const hold = await stripe.paymentIntents.create(
      {
        amount: 1000,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    const attempt = stripe.paymentIntents.capture(hold.id, { amount_to_capture: 1001 }, { stripeAccount: account });
    await expect(attempt).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'amount_too_large',
      param: 'amount_to_capture',
    });
  });
});

describe('direct charges', () => {
  it('charges off-session with automatic capture in one request', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const intent = await stripe.paymentIntents.create(
      {
        amount: 1234,
        currency: 'eur',
        payment_method: paymentMethod,
        confirm: true,
        off_session: true,
        application_fee_amount: 34,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        expand: ['latest_charge'],
      },
      { stripeAccount: account },
    );
    expect(intent).toMatchObject({
      status: 'succeeded',
      amount_received: 1234,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const latest = intent.latest_charge as Stripe.Charge;
    expect(latest).toMatchObject({
      object: 'charge',
      captured: true,
      amount_captured: 1234,
      application_fee_amount: 34,
    });
    expect(emulator.balanceOf(account, 'eur').available).toBe(1234 - fee(1234) - 34);
    const types = (await stripe.events.list({ limit: 2 }, { stripeAccount: account })).data.map((e) => e.type);
    expect(types).toEqual(['payment_intent.succeeded', 'charge.succeeded']);
  });

  it('applies the fee model to zero-decimal currencies without the fixed part', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    await stripe.paymentIntents.create(
      { amount: 1000, currency: 'jpy', payment_method: paymentMethod, confirm: true, ...CARD_ONLY },
      { stripeAccount: account },
    );
    expect(emulator.balanceOf(account, 'JPY')).toEqual({ available: 1000 - 29, pending: 0 });
  });

  it('confirms in a second step and lists intents newest first with pagination', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const created = await stripe.paymentIntents.create(
      { amount: 700, currency: 'eur', ...CARD_ONLY },
      { stripeAccount: account },
    );
    expect(created.status).toBe('requires_payment_method');
    const updated = await stripe.paymentIntents.update(
      created.id,
      { amount: 900, payment_method: paymentMethod },
      { stripeAccount: account },
    );
    expect(updated).toMatchObject({ status: 'requires_confirmation', amount: 900 });
    const confirmed = await stripe.paymentIntents.confirm(
      created.id,
      { off_session: true },
      { stripeAccount: account },
    );
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 900 });
    const other = await stripe.paymentIntents.create(
      { amount: 800, currency: 'eur', ...CARD_ONLY },
      { stripeAccount: account },
    );

    const page = await stripe.paymentIntents.list({ limit: 1 }, { stripeAccount: account });
    expect(page.data.map((i) => i.id)).toEqual([other.id]);
    expect(page.has_more).toBe(true);
    const next = await stripe.paymentIntents.list({ limit: 1, starting_after: other.id }, { stripeAccount: account });
    expect(next.data.map((i) => i.id)).toEqual([created.id]);
    expect(next.has_more).toBe(false);
    await expect(
      stripe.paymentIntents.update(created.id, { amount: 1 }, { stripeAccount: account }),
    ).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    const annotated = await stripe.paymentIntents.update(
      created.id,
      { metadata: { invoice: 'inv_1' } },
      { stripeAccount: account },
    );
    expect(annotated.metadata).toEqual({ invoice: 'inv_1' });
  });
});

describe('declines and authentication', () => {
  it('a declined card fails with a card error that carries the intent', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe, 'pm_card_chargeDeclined');
    const failure = await rejectionOf(
      stripe.paymentIntents.create(
        {
          amount: 1500,
          currency: 'eur',
          payment_method: paymentMethod,
          confirm: true,
          off_session: true,
          ...CARD_ONLY,
        },
        { stripeAccount: account },
      ),
    );
    expect(failure).toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
    });
    expect(failure.payment_intent).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' },
    });
    const failedIntent = failure.payment_intent;
    const failedCharge = await charge(String(failedIntent?.latest_charge), account);
    expect(failedCharge).toMatchObject({
      status: 'failed',
      paid: false,
      captured: false,
      failure_code: 'card_declined',
      balance_transaction: null,
    });
    const [event] = (await stripe.events.list({ type: 'payment_intent.payment_failed' }, { stripeAccount: account }))
      .data;
    expect(event.data.object).toMatchObject({ id: failedIntent?.id, status: 'requires_payment_method' });
    expect(emulator.balanceOf(account, 'eur').available).toBe(0);
  });

  it('insufficient funds have their own decline code', async () => {
    const { account } = await chargeableAccount(emulator, stripe);
    const attempt = stripe.paymentIntents.create(
      {
        amount: 1500,
        currency: 'eur',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    await expect(attempt).rejects.toMatchObject({
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
  });

  it('a card needing authentication requires action on-session and fails off-session', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe, 'pm_card_authenticationRequired');
    const onSession = await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'eur',
        payment_method: paymentMethod,
        capture_method: 'manual',
        confirm: true,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    expect(onSession).toMatchObject({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } });
    const types = (await stripe.events.list({ limit: 1 }, { stripeAccount: account })).data.map((e) => e.type);
    expect(types).toEqual(['payment_intent.requires_action']);

    // The emulator's 3-D Secure page stands in for the customer authenticating.
    const stripeJs = (onSession.next_action?.use_stripe_sdk as { stripe_js: string }).stripe_js;
    expect((await fetch(stripeJs)).status).toBe(200);
    const authenticated = await stripe.paymentIntents.retrieve(onSession.id, {}, { stripeAccount: account });
    expect(authenticated).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, next_action: null });

    const offSession = stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'eur',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        off_session: true,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    await expect(offSession).rejects.toMatchObject({
      type: 'StripeCardError',
      code: 'authentication_required',
      decline_code: 'authentication_required',
    });
  });
});

describe('request validation', () => {
  it('rejects unknown and missing parameters like Stripe', async () => {
    const unknown = stripe.paymentIntents.create({
      amount: 100,
      currency: 'eur',
      bogus: 'x',
    } as Stripe.PaymentIntentCreateParams);
    await expect(unknown).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'parameter_unknown',
      param: 'bogus',
    });
    const missing = stripe.paymentIntents.create({ amount: 100 } as Stripe.PaymentIntentCreateParams);
    await expect(missing).rejects.toMatchObject({ code: 'parameter_missing', param: 'currency' });
    const notInteger = stripe.paymentIntents.create({ amount: 12.5, currency: 'eur' });
    await expect(notInteger).rejects.toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
  });

  it('accepts both the SDK’s allowed_payment_method_types and the older payment_method_types', async () => {
    // `payment_method_types` left the stripe@23 types (renamed); older callers still send it.
    const legacy = await stripe.paymentIntents.create({
      amount: 100,
      currency: 'usd',
      payment_method_types: ['card'],
    } as Stripe.PaymentIntentCreateParams);
    expect(legacy).toMatchObject({
      payment_method_types: ['card'],
      allowed_payment_method_types: null,
      automatic_payment_methods: null,
    });
    const byDefault = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    expect(byDefault.automatic_payment_methods).toEqual({ enabled: true, allow_redirects: 'always' });
  });

  it('requires a return_url to confirm when redirect-based methods are allowed', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const attempt = stripe.paymentIntents.create(
      { amount: 1000, currency: 'eur', payment_method: paymentMethod, confirm: true, off_session: true },
      { stripeAccount: account },
    );
    await expect(attempt).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'return_url' });
  });

  it('enforces minimum amounts and direct-charge-only application fees', async () => {
    await expect(stripe.paymentIntents.create({ amount: 20, currency: 'eur' })).rejects.toMatchObject({
      code: 'amount_too_small',
      param: 'amount',
    });
    const feeOnPlatform = stripe.paymentIntents.create({ amount: 1000, currency: 'eur', application_fee_amount: 10 });
    await expect(feeOnPlatform).rejects.toMatchObject({ param: 'application_fee_amount' });
    await expect(stripe.paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'intent',
    });
  });
});
