import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, chargeableAccount, startEmulator } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

const fee = (amount: number): number => Math.round(amount * 0.029) + 30;

/** A captured direct charge of 10 000 EUR cents with a 500 application fee. */
async function paidIntent(): Promise<{ account: string; intent: Stripe.PaymentIntent; chargeId: string }> {
  const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
  const intent = await stripe.paymentIntents.create(
    {
      amount: 10_000,
      currency: 'eur',
      payment_method: paymentMethod,
      confirm: true,
      off_session: true,
      application_fee_amount: 500,
      ...CARD_ONLY,
    },
    { stripeAccount: account },
  );
  return { account, intent, chargeId: String(intent.latest_charge) };
}

describe('refunds', () => {
  it('refunds partially, then the remainder, on the operator’s own account', async () => {
    const { account, intent, chargeId } = await paidIntent();
    const net = 10_000 - fee(10_000) - 500;
    expect(emulator.balanceOf(account, 'eur').available).toBe(net);

    const partial = await stripe.refunds.create(
      { payment_intent: intent.id, amount: 3000, reason: 'requested_by_customer', metadata: { ticket: 't_1' } },
      { stripeAccount: account },
    );
    expect(partial).toMatchObject({
      object: 'refund',
      amount: 3000,
      currency: 'eur',
      status: 'succeeded',
      charge: chargeId,
      payment_intent: intent.id,
      reason: 'requested_by_customer',
      metadata: { ticket: 't_1' },
    });
    expect(partial.id).toMatch(/^re_/);
    expect(await stripe.charges.retrieve(chargeId, {}, { stripeAccount: account })).toMatchObject({
      amount_refunded: 3000,
      refunded: false,
    });
    expect(emulator.balanceOf(account, 'eur').available).toBe(net - 3000);
    const [txn] = (await stripe.balanceTransactions.list({ type: 'refund' }, { stripeAccount: account })).data;
    expect(txn).toMatchObject({
      id: partial.balance_transaction,
      amount: -3000,
      fee: 0,
      net: -3000,
      source: partial.id,
    });

    const rest = await stripe.refunds.create({ charge: chargeId }, { stripeAccount: account });
    expect(rest.amount).toBe(7000);
    const refundedCharge = await stripe.charges.retrieve(chargeId, {}, { stripeAccount: account });
    expect(refundedCharge).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(refundedCharge.refunds?.data.map((r) => r.id)).toEqual([rest.id, partial.id]);
    expect(emulator.balanceOf(account, 'eur').available).toBe(net - 10_000);
    // The platform keeps its application fee unless asked to refund it.
    expect(emulator.balanceOf('platform', 'eur').available).toBeGreaterThanOrEqual(500);

    const types = (await stripe.events.list({ limit: 4 }, { stripeAccount: account })).data.map((e) => e.type);
    expect(types).toEqual(['charge.refunded', 'refund.created', 'charge.refunded', 'refund.created']);
    await expect(stripe.refunds.create({ charge: chargeId }, { stripeAccount: account })).rejects.toMatchObject({
      code: 'charge_already_refunded',
    });
  });

  it('refuses a refund larger than what is left (amount_too_large) and changes nothing', async () => {
    const { account, intent, chargeId } = await paidIntent();
    await stripe.refunds.create({ payment_intent: intent.id, amount: 9000 }, { stripeAccount: account });
    const before = emulator.balanceOf(account, 'eur');
    const attempt = stripe.refunds.create({ payment_intent: intent.id, amount: 1001 }, { stripeAccount: account });
    await expect(attempt).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount',
      rawType: 'invalid_request_error',
    });
    expect(emulator.balanceOf(account, 'eur')).toEqual(before);
    expect((await stripe.charges.retrieve(chargeId, {}, { stripeAccount: account })).amount_refunded).toBe(9000);
  });

  it('returns the application fee proportionally with refund_application_fee', async () => {
    const { account, intent, chargeId } = await paidIntent();
    const platformBefore = emulator.balanceOf('platform', 'eur').available;
    const accountBefore = emulator.balanceOf(account, 'eur').available;
    await stripe.refunds.create(
      { payment_intent: intent.id, amount: 4000, refund_application_fee: true },
      { stripeAccount: account },
    );
    expect(emulator.balanceOf('platform', 'eur').available).toBe(platformBefore - 200);
    expect(emulator.balanceOf(account, 'eur').available).toBe(accountBefore - 4000 + 200);
    const [applicationFee] = (await stripe.applicationFees.list({ charge: chargeId })).data;
    expect(applicationFee).toMatchObject({ amount: 500, amount_refunded: 200, refunded: false });
    await stripe.refunds.create(
      { payment_intent: intent.id, refund_application_fee: true },
      { stripeAccount: account },
    );
    const [fullyRefunded] = (await stripe.applicationFees.list({ charge: chargeId })).data;
    expect(fullyRefunded).toMatchObject({ amount_refunded: 500, refunded: true });
  });

  it('retrieves, lists and updates refunds per account', async () => {
    const { account, intent } = await paidIntent();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 100 }, { stripeAccount: account });
    await expect(stripe.refunds.retrieve(refund.id, {}, { stripeAccount: account })).resolves.toMatchObject({
      id: refund.id,
      amount: 100,
    });
    await expect(stripe.refunds.retrieve(refund.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
    const listed = await stripe.refunds.list({ payment_intent: intent.id }, { stripeAccount: account });
    expect(listed.data.map((r) => r.id)).toEqual([refund.id]);
    const updated = await stripe.refunds.update(
      refund.id,
      { metadata: { note: 'goodwill' } },
      { stripeAccount: account },
    );
    expect(updated.metadata).toEqual({ note: 'goodwill' });
  });

  it('refuses refunds of uncaptured holds', async () => {
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
    await expect(
      stripe.refunds.create({ charge: String(hold.latest_charge) }, { stripeAccount: account }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      message: expect.stringContaining('not been captured'),
    });
    await expect(stripe.refunds.create({}, { stripeAccount: account })).rejects.toMatchObject({
      code: 'parameter_missing',
    });
  });

  describe('refund test cards (Stripe docs "Testing", Refunds)', () => {
    async function paidWith(card: string): Promise<{ account: string; intent: Stripe.PaymentIntent }> {
      const { account, paymentMethod } = await chargeableAccount(emulator, stripe, card);
      const intent = await stripe.paymentIntents.create(
        {
          amount: 10_000,
          currency: 'eur',
          payment_method: paymentMethod,
          confirm: true,
          off_session: true,
          ...CARD_ONLY,
        },
        { stripeAccount: account },
      );
      return { account, intent };
    }
    const eventsOf = async (account: string, limit: number) =>
      (await stripe.events.list({ limit }, { stripeAccount: account })).data.map((e) => ({
        type: e.type,
        status: (e.data.object as Stripe.Refund).status,
        previous: e.data.previous_attributes,
      }));

    it('pm_card_pendingRefund: the refund begins pending and succeeds when settled', async () => {
      const { account, intent } = await paidWith('pm_card_pendingRefund');
      const onAccount = { stripeAccount: account };
      const before = emulator.balanceOf(account, 'eur').available;
      const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 4000 }, onAccount);
      expect(refund.status).toBe('pending');
      // Counted on the charge and debited at once, as Stripe does for a pending card refund.
      const charge = String(intent.latest_charge);
      expect((await stripe.charges.retrieve(charge, {}, onAccount)).amount_refunded).toBe(4000);
      expect(emulator.balanceOf(account, 'eur').available).toBe(before - 4000);

      const settled = emulator.settleRefund(account, refund.id);
      expect(settled).toMatchObject({ id: refund.id, status: 'succeeded' });
      expect(settled.failure_reason).toBeUndefined();
      expect((await stripe.refunds.retrieve(refund.id, {}, onAccount)).status).toBe('succeeded');
      expect((await stripe.charges.retrieve(charge, {}, onAccount)).amount_refunded).toBe(4000);
      expect(emulator.balanceOf(account, 'eur').available).toBe(before - 4000);
      expect(await eventsOf(account, 2)).toEqual([
        { type: 'refund.updated', status: 'succeeded', previous: { status: 'pending' } },
        { type: 'charge.refund.updated', status: 'succeeded', previous: { status: 'pending' } },
      ]);
      // Settled once: nothing further happens.
      expect(() => emulator.settleRefund(account, refund.id)).toThrow(/no later outcome/);
    });

    it('pm_card_refundFail: the refund begins succeeded, then fails and gives the amount back', async () => {
      const { account, intent } = await paidWith('pm_card_refundFail');
      const onAccount = { stripeAccount: account };
      const before = emulator.balanceOf(account, 'eur').available;
      const charge = String(intent.latest_charge);
      const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 4000 }, onAccount);
      expect(refund.status).toBe('succeeded');
      expect(emulator.balanceOf(account, 'eur').available).toBe(before - 4000);

      emulator.settleRefund(account, refund.id);
      const failed = await stripe.refunds.retrieve(refund.id, { expand: ['failure_balance_transaction'] }, onAccount);
      expect(failed).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
      expect(failed.failure_balance_transaction).toMatchObject({
        type: 'refund_failure',
        amount: 4000,
        fee: 0,
        net: 4000,
        source: refund.id,
      });
      expect(await stripe.charges.retrieve(charge, {}, onAccount)).toMatchObject({
        amount_refunded: 0,
        refunded: false,
      });
      expect(emulator.balanceOf(account, 'eur').available).toBe(before);
      expect(await eventsOf(account, 3)).toEqual([
        { type: 'refund.failed', status: 'failed', previous: { status: 'succeeded' } },
        { type: 'refund.updated', status: 'failed', previous: { status: 'succeeded' } },
        { type: 'charge.refund.updated', status: 'failed', previous: { status: 'succeeded' } },
      ]);
      // The failed amount can be refunded again (on this card, again asynchronously).
      const again = await stripe.refunds.create({ payment_intent: intent.id, amount: 10_000 }, onAccount);
      expect(again.amount).toBe(10_000);
    });

    it('settles through the emulator page too, and refuses a refund of an ordinary card', async () => {
      const { account, intent } = await paidWith('pm_card_pendingRefund');
      const refund = await stripe.refunds.create({ payment_intent: intent.id }, { stripeAccount: account });
      const page = `${emulator.url}/_emulator/accounts/${account}/refunds/${refund.id}/settle`;
      const settled = await fetch(page, { method: 'POST' });
      expect(settled.status).toBe(200);
      expect(await settled.json()).toMatchObject({ id: refund.id, status: 'succeeded' });
      expect((await fetch(page, { method: 'POST' })).status).toBe(400);

      const visa = await paidWith('pm_card_visa');
      const ordinary = await stripe.refunds.create({ payment_intent: visa.intent.id }, { stripeAccount: visa.account });
      expect(ordinary.status).toBe('succeeded');
      expect(() => emulator.settleRefund(visa.account, ordinary.id)).toThrow(/no later outcome/);
      const missing = await fetch(`${emulator.url}/_emulator/accounts/${visa.account}/refunds/re_nope/settle`, {
        method: 'POST',
      });
      expect(missing.status).toBe(404);
    });
  });
});
