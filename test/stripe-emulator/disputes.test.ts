import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DisputeObject, StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, chargeableAccount, rejectionOf, startEmulator } from './support/harness.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: WebhookReceiver;

const CONNECT_SECRET = 'whsec_emulator_connect';
const processingFee = (amount: number): number => Math.round(amount * 0.029) + 30;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  ({ emulator, stripe } = await startEmulator({ webhookUrl: receiver.url }));
});
afterEach(() => {
  receiver.deliveries.length = 0;
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

/** A captured direct charge on the dispute test card (manual capture first when `hold`). */
async function disputedCharge(
  currency: 'eur' | 'usd',
  options: { hold?: boolean; card?: string } = {},
): Promise<{ account: string; intent: Stripe.PaymentIntent; chargeId: string }> {
  const { account, paymentMethod } = await chargeableAccount(emulator, stripe, options.card ?? 'pm_card_createDispute');
  const on = { stripeAccount: account };
  let intent = await stripe.paymentIntents.create(
    {
      amount: 8000,
      currency,
      payment_method: paymentMethod,
      confirm: true,
      ...(options.hold ? { capture_method: 'manual' } : { off_session: true }),
      ...CARD_ONLY,
    },
    on,
  );
  if (options.hold) intent = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 6000 }, on);
  return { account, intent, chargeId: String(intent.latest_charge) };
}

function onlyDispute(account: string): DisputeObject {
  const disputes = emulator.disputesOf(account);
  expect(disputes).toHaveLength(1);
  return disputes[0];
}

/** The verified Connect deliveries of one account, in arrival order. */
async function deliveredEvents(account: string): Promise<Stripe.Event[]> {
  await emulator.flushWebhooks();
  return receiver.deliveries
    .filter((d) => (JSON.parse(d.body) as { account?: string }).account === account)
    .map((d) => stripe.webhooks.constructEvent(d.body, d.signature, CONNECT_SECRET));
}

describe('pm_card_createDispute', () => {
  it('opens a fraudulent dispute for the charged amount, withdrawing it plus the dispute fee, with its events', async () => {
    const { account, intent, chargeId } = await disputedCharge('eur');
    const on = { stripeAccount: account };
    expect(intent.status).toBe('succeeded');
    const dispute = onlyDispute(account);
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 8000,
      currency: 'eur',
      charge: chargeId,
      payment_intent: intent.id,
      reason: 'fraudulent',
      status: 'needs_response',
      is_charge_refundable: false,
      evidence_details: { has_evidence: false, past_due: false, submission_count: 0 },
    });
    expect(dispute.id).toMatch(/^dp_/);
    expect(dispute.evidence_details.due_by).toBe(dispute.created + 7 * 24 * 3600);
    expect((await stripe.charges.retrieve(chargeId, {}, on)).disputed).toBe(true);

    // EUR dispute fee: 20.00 (EEA pricing).
    const [withdrawal] = (await stripe.balanceTransactions.list({ type: 'adjustment' }, on)).data;
    expect(withdrawal).toMatchObject({
      amount: -8000,
      fee: 2000,
      net: -10_000,
      currency: 'eur',
      type: 'adjustment',
      reporting_category: 'dispute',
      source: dispute.id,
      fee_details: [{ amount: 2000, type: 'stripe_fee', description: 'Dispute fee' }],
    });
    expect(dispute.balance_transactions.map((t) => t.id)).toEqual([withdrawal.id]);
    expect(emulator.balanceOf(account, 'eur').available).toBe(8000 - processingFee(8000) - 10_000);

    const events = await deliveredEvents(account);
    const disputeEvents = events.filter((e) => e.type.startsWith('charge.dispute.'));
    expect(disputeEvents.map((e) => e.type)).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
    // after the charge's own events
    expect(events.findIndex((e) => e.type === 'payment_intent.succeeded')).toBeLessThan(
      events.findIndex((e) => e.type === 'charge.dispute.created'),
    );
    for (const event of disputeEvents)
      expect(event.data.object).toMatchObject({ id: dispute.id, status: 'needs_response', amount: 8000 });

    // GET /v1/disputes/{id} (beyond the subset, as Stripe has it) and expansion from the balance transaction.
    expect(await stripe.disputes.retrieve(dispute.id, {}, on)).toMatchObject({
      id: dispute.id,
      status: 'needs_response',
    });
    const expanded = await stripe.balanceTransactions.list({ type: 'adjustment', expand: ['data.source'] }, on);
    expect(expanded.data[0].source).toMatchObject({ object: 'dispute', id: dispute.id });
  });

  it('disputes the captured amount of a hold only once it is captured, with the USD fee of 15.00', async () => {
    const { account, chargeId } = await disputedCharge('usd', { hold: true });
    const dispute = onlyDispute(account);
    expect(dispute).toMatchObject({ amount: 6000, currency: 'usd', charge: chargeId });
    const [withdrawal] = (await stripe.balanceTransactions.list({ type: 'adjustment' }, { stripeAccount: account }))
      .data;
    expect(withdrawal).toMatchObject({ amount: -6000, fee: 1500, net: -7500 });
  });

  it('does not dispute an uncaptured hold, nor a charge on any other card', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe, 'pm_card_createDispute');
    await stripe.paymentIntents.create(
      {
        amount: 5000,
        currency: 'eur',
        payment_method: paymentMethod,
        confirm: true,
        capture_method: 'manual',
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    expect(emulator.disputesOf(account)).toEqual([]);
    const visa = await disputedCharge('eur', { card: 'pm_card_visa' });
    expect(emulator.disputesOf(visa.account)).toEqual([]);
  });

  it('refuses to refund a disputed charge (charge_disputed), changing nothing', async () => {
    const { account, intent } = await disputedCharge('eur');
    const before = emulator.balanceOf(account, 'eur').available;
    const error = await rejectionOf(stripe.refunds.create({ payment_intent: intent.id }, { stripeAccount: account }));
    expect(error).toMatchObject({ statusCode: 400, code: 'charge_disputed' });
    expect(emulator.balanceOf(account, 'eur').available).toBe(before);
  });
});

describe('closing a dispute', () => {
  it('won: the disputed amount comes back (not the fee), funds_reinstated then closed', async () => {
    const { account } = await disputedCharge('eur');
    const opened = onlyDispute(account);
    const before = emulator.balanceOf(account, 'eur').available;
    await emulator.flushWebhooks();
    receiver.deliveries.length = 0;

    const closed = emulator.closeDispute(account, opened.id, 'won');
    expect(closed.status).toBe('won');
    expect(emulator.balanceOf(account, 'eur').available).toBe(before + 8000);
    const [reinstatement] = (
      await stripe.balanceTransactions.list({ type: 'adjustment', limit: 1 }, { stripeAccount: account })
    ).data;
    expect(reinstatement).toMatchObject({
      amount: 8000,
      fee: 0,
      net: 8000,
      reporting_category: 'dispute_reversal',
      source: opened.id,
    });
    expect(closed.balance_transactions.map((t) => t.amount)).toEqual([-8000, 8000]);

    const events = await deliveredEvents(account);
    expect(events.map((e) => e.type)).toEqual(['charge.dispute.funds_reinstated', 'charge.dispute.closed']);
    expect(events[1].data.object).toMatchObject({ status: 'won' });
    expect(events[1].data.previous_attributes).toEqual({ status: 'needs_response' });
  });

  it('lost: nothing comes back, one closed event; closing again is refused', async () => {
    const { account } = await disputedCharge('eur');
    const opened = onlyDispute(account);
    const before = emulator.balanceOf(account, 'eur').available;
    await emulator.flushWebhooks();
    receiver.deliveries.length = 0;

    expect(emulator.closeDispute(account, opened.id, 'lost').status).toBe('lost');
    expect(emulator.balanceOf(account, 'eur').available).toBe(before);
    const events = await deliveredEvents(account);
    expect(events.map((e) => e.type)).toEqual(['charge.dispute.closed']);
    expect(events[0].data.object).toMatchObject({ status: 'lost', amount: 8000 });

    expect(() => emulator.closeDispute(account, opened.id, 'won')).toThrow(/already closed/);
    expect(emulator.balanceOf(account, 'eur').available).toBe(before);
  });

  it('through the emulator page: 200 with the dispute, 400 for a bad outcome or a closed dispute, 404 unknown', async () => {
    const { account } = await disputedCharge('usd');
    const { id } = onlyDispute(account);
    const close = (dispute: string, outcome: string) =>
      fetch(`${emulator.url}/_emulator/accounts/${account}/disputes/${dispute}/close?outcome=${outcome}`, {
        method: 'POST',
      });
    expect((await close(id, 'maybe')).status).toBe(400);
    const won = await close(id, 'won');
    expect(won.status).toBe(200);
    expect(await won.json()).toMatchObject({ id, status: 'won' });
    expect((await close(id, 'lost')).status).toBe(400);
    expect((await close('dp_unknown', 'lost')).status).toBe(404);
    expect(onlyDispute(account).status).toBe('won');
  });
});
