import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, chargeableAccount, startEmulator } from './support/harness.js';

/*
 * Balance transactions as Stripe writes them, which reconciliation relies on: type, signed amount, fee (with its
 * fee_details), net = amount − fee, source; the `created` range with pagination; sources expandable, fee refunds
 * included (on the platform, through to their application fee).
 */

let emulator: StripeEmulator;
let stripe: Stripe;
beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

const processing = (amount: number): number => Math.round(amount * 0.029) + 30;

describe('balance transactions', () => {
  it('record a charge with its fees, a refund and its fee refund on both accounts, like Stripe', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const on = { stripeAccount: account };
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
      on,
    );
    const chargeId = String(intent.latest_charge);
    const refund = await stripe.refunds.create(
      { payment_intent: intent.id, amount: 4000, refund_application_fee: true },
      on,
    );

    const all = await stripe.balanceTransactions.list({ limit: 100, expand: ['data.source'] }, on);
    const [feeRefund, refunded, charged] = all.data;
    expect(charged).toMatchObject({
      type: 'charge',
      reporting_category: 'charge',
      amount: 10_000,
      fee: processing(10_000) + 500,
      net: 10_000 - processing(10_000) - 500,
      currency: 'eur',
      source: { object: 'charge', id: chargeId },
    });
    expect(charged.fee_details.map((d) => [d.type, d.amount])).toEqual([
      ['stripe_fee', processing(10_000)],
      ['application_fee', 500],
    ]);
    expect(refunded).toMatchObject({
      type: 'refund',
      amount: -4000,
      fee: 0,
      net: -4000,
      source: { object: 'refund', id: refund.id, charge: chargeId },
    });
    expect(refunded.id).toBe(refund.balance_transaction);
    expect(feeRefund).toMatchObject({ type: 'application_fee_refund', amount: 200, fee: 0, net: 200 });
    const feeRefundId = typeof feeRefund.source === 'string' ? feeRefund.source : feeRefund.source?.id;
    expect(feeRefundId).toMatch(/^fr_/);

    // The platform: the fee, and the fee refund (same fee refund, opposite amount), expanded to the charge's account.
    const platform = await stripe.balanceTransactions.list({ limit: 100, expand: ['data.source', 'data.source.fee'] });
    const mine = platform.data.filter((t) => {
      const source = t.source;
      if (source === null || typeof source !== 'object') return false;
      if (source.object === 'application_fee') return source.charge === chargeId;
      return source.object === 'fee_refund' && typeof source.fee === 'object' && source.fee.charge === chargeId;
    });
    expect(mine.map((t) => [t.type, t.amount])).toEqual([
      ['application_fee_refund', -200],
      ['application_fee', 500],
    ]);
    const platformRefund = mine[0].source;
    expect(platformRefund).toMatchObject({ object: 'fee_refund', id: feeRefundId, amount: 200 });
    expect(platformRefund).toMatchObject({ fee: { object: 'application_fee', account, amount_refunded: 200 } });
  });

  it('filter by a created range and page through it', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const on = { stripeAccount: account };
    for (const amount of [1000, 2000, 3000])
      await stripe.paymentIntents.create(
        { amount, currency: 'eur', payment_method: paymentMethod, confirm: true, off_session: true, ...CARD_ONLY },
        on,
      );
    const now = Math.floor(Date.now() / 1000);
    const seen: number[] = [];
    for await (const txn of stripe.balanceTransactions.list({ created: { gte: now - 60, lt: now + 60 }, limit: 2 }, on))
      seen.push(txn.amount);
    expect(seen).toEqual([3000, 2000, 1000]);
    const later = await stripe.balanceTransactions.list({ created: { gte: now + 60 } }, on);
    expect(later.data).toEqual([]);
  });

  it('has a test hook that changes the fee a transaction reports (fee, net and the stripe_fee detail)', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    const on = { stripeAccount: account };
    await stripe.paymentIntents.create(
      { amount: 5000, currency: 'eur', payment_method: paymentMethod, confirm: true, off_session: true, ...CARD_ONLY },
      on,
    );
    const [txn] = (await stripe.balanceTransactions.list({}, on)).data;
    emulator.adjustBalanceTransactionFee(account, txn.id, 25);
    const [after] = (await stripe.balanceTransactions.list({}, on)).data;
    expect(after).toMatchObject({ fee: txn.fee + 25, net: txn.net - 25 });
    expect(after.fee_details[0]).toMatchObject({ type: 'stripe_fee', amount: txn.fee + 25 });
    expect(emulator.balanceOf(account, 'eur').available).toBe(txn.net - 25);
  });
});
