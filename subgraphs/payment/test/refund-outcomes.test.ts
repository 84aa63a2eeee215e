import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Refund } from '../refund/refund.entity.js';
import {
  adminOf,
  charge,
  complete,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  paymentRow,
  reasonOf,
  refund,
  requestsTo,
  session,
  startHarness,
  type Harness,
} from './harness.js';

/*
 * Refunds that finish, against the emulator's refund test cards (Stripe's "Testing" page): `pm_card_pendingRefund`
 * (pending, later succeeded) and `pm_card_refundFail` (succeeded, later failed). The later half runs when the test
 * calls `emulator.settleRefund`; its events reach the webhook endpoint, or not, as each test chooses.
 */

let h: Harness;
let stripe: Stripe;
beforeAll(async () => {
  h = await startHarness();
  stripe = new Stripe('sk_test_emulator', h.emulator.clientOptions);
});
afterAll(() => h?.destroy());

const CONNECT_SECRET = 'whsec_emulator_connect';

/** A session of 2000 EUR cents paid with `card`, on an operator without an application fee. */
async function paidWith(card: string) {
  const operator = await onboardedOperator(h);
  const driver = newDriver();
  await driverWithCard(h, driver, card);
  const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
  complete(s, 2000);
  const payment = dataOf(await charge(h, driver, s.id)).chargeSession;
  expect(payment.status).toBe('SUCCEEDED');
  await h.emulator.flushWebhooks();
  return { operator, admin: adminOf(operator.id), session: s, payment };
}

const refundRow = (id: string) => h.subgraph.orm.em.fork().findOneOrFail(Refund, { id });
const refundedOf = async (sessionId: string) => (await paymentRow(h, sessionId))?.refundedAmount;
const balanceOf = (account: string) => h.emulator.balanceOf(account, 'eur').available;

async function deliver(event: object): Promise<string | undefined> {
  const payload = JSON.stringify(event);
  const response = await fetch(h.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: CONNECT_SECRET }),
    },
    body: payload,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { result?: string }).result;
}

async function eventsOf(account: string): Promise<Stripe.Event[]> {
  return (await stripe.events.list({ limit: 100 }, { stripeAccount: account })).data.reverse();
}

const refundQuery = `query ($id: ID!) { _entities(representations: [{ __typename: "Payment", id: $id }]) {
  ... on Payment { refundedAmount { amount } refunds { id status failureReason amount { amount } } } } }`;

describe('refunds that finish by webhook', () => {
  it('a pending refund succeeds: counted as taken while pending, refunded once it succeeded', async () => {
    const { operator, admin, session: s, payment } = await paidWith('pm_card_pendingRefund');
    const pending = dataOf(await refund(h, admin, payment.id, 800)).refundPayment;
    expect(pending.status).toBe('PENDING');
    await h.emulator.flushWebhooks(); // refund.created, charge.refunded: still pending
    expect((await refundRow(pending.id)).status).toBe('PENDING');
    expect(await refundedOf(s.id)).toBe(0);
    // In flight, it is taken: no more than the other 1200 can be refunded meanwhile.
    expect(reasonOf(await refund(h, admin, payment.id, 1201))).toBe('REFUND_EXCEEDS_REMAINING');

    h.emulator.settleRefund(operator.account, (await refundRow(pending.id)).providerRefundId!);
    await h.emulator.flushWebhooks(); // charge.refund.updated, refund.updated
    expect(await refundRow(pending.id)).toMatchObject({ status: 'SUCCEEDED', failureReason: null });
    expect(await refundedOf(s.id)).toBe(800);
    const view = await h.subgraph.run<{
      _entities: Array<{ refundedAmount: { amount: number }; refunds: Array<Record<string, unknown>> }>;
    }>(refundQuery, { id: payment.id }, admin);
    expect(dataOf(view)._entities[0]).toEqual({
      refundedAmount: { amount: 800 },
      refunds: [{ id: pending.id, status: 'SUCCEEDED', failureReason: null, amount: { amount: 800 } }],
    });
  });

  it('a refund that fails afterwards frees its amount: refunded back down, refundable again, balance restored', async () => {
    const { operator, admin, session: s, payment } = await paidWith('pm_card_refundFail');
    const paidBalance = balanceOf(operator.account);
    const first = dataOf(await refund(h, admin, payment.id, 800)).refundPayment;
    expect(first.status).toBe('SUCCEEDED'); // Stripe's refundFail card: accepted first
    await h.emulator.flushWebhooks();
    expect(await refundedOf(s.id)).toBe(800);
    expect(balanceOf(operator.account)).toBe(paidBalance - 800);

    h.emulator.settleRefund(operator.account, (await refundRow(first.id)).providerRefundId!);
    await h.emulator.flushWebhooks(); // charge.refund.updated, refund.updated, refund.failed
    expect(await refundRow(first.id)).toMatchObject({ status: 'FAILED', failureReason: 'expired_or_canceled_card' });
    expect(await refundedOf(s.id)).toBe(0);
    expect(balanceOf(operator.account)).toBe(paidBalance);
    const view = await h.subgraph.run<{ _entities: Array<{ refunds: Array<Record<string, unknown>> }> }>(
      refundQuery,
      { id: payment.id },
      admin,
    );
    expect(dataOf(view)._entities[0].refunds).toEqual([
      { id: first.id, status: 'FAILED', failureReason: 'expired_or_canceled_card', amount: { amount: 800 } },
    ]);

    // The whole 2000 is refundable again, and refunding it succeeds.
    const again = dataOf(await refund(h, admin, payment.id)).refundPayment;
    expect(again).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 2000 } });
    await h.emulator.flushWebhooks();
    expect(await refundedOf(s.id)).toBe(2000);
    expect(balanceOf(operator.account)).toBe(paidBalance - 2000);
    expect(reasonOf(await refund(h, admin, payment.id, 1))).toBe('REFUND_EXCEEDS_REMAINING');
  });

  it('events out of order, replayed or stale converge on the provider’s state; a late “pending” undoes nothing', async () => {
    const { operator, admin, session: s, payment } = await paidWith('pm_card_refundFail');
    h.emulator.setWebhookUrl(undefined); // we deliver, in the order we choose
    try {
      const first = dataOf(await refund(h, admin, payment.id, 800)).refundPayment;
      const providerRefundId = (await refundRow(first.id)).providerRefundId!;
      h.emulator.settleRefund(operator.account, providerRefundId);
      const events = (await eventsOf(operator.account)).filter((e) =>
        ['charge.refunded', 'charge.refund.updated', 'refund.updated', 'refund.failed'].includes(e.type),
      );
      expect(events.map((e) => e.type)).toEqual([
        'charge.refunded',
        'charge.refund.updated',
        'refund.updated',
        'refund.failed',
      ]);

      for (const event of [...events].reverse()) await deliver(event);
      expect(await refundRow(first.id)).toMatchObject({ status: 'FAILED', failureReason: 'expired_or_canceled_card' });
      expect(await refundedOf(s.id)).toBe(0);

      // Replays are duplicates; stale copies under new ids (a "pending" and a "succeeded" one) change nothing.
      for (const event of events) expect(await deliver(event)).toBe('duplicate');
      const [refunded, updated] = events;
      for (const status of ['pending', 'succeeded']) {
        const stale = {
          ...updated,
          id: `${updated.id}_${status}`,
          data: { object: { ...updated.data.object, status } },
        };
        expect(await deliver(stale)).toBe('unchanged');
      }
      expect(await deliver({ ...refunded, id: `${refunded.id}_late` })).toBe('unchanged');
      expect(await refundRow(first.id)).toMatchObject({ status: 'FAILED' });
      expect(await refundedOf(s.id)).toBe(0);
    } finally {
      h.emulator.setWebhookUrl(h.webhookUrl);
    }
  });
});

describe('the sweeper settles what no webhook settled', () => {
  it('re-reads a PENDING refund from the provider once it is older than the setting', async () => {
    const { operator, admin, session: s, payment } = await paidWith('pm_card_pendingRefund');
    h.emulator.setWebhookUrl(undefined); // the provider's events never arrive
    try {
      const pending = dataOf(await refund(h, admin, payment.id, 500)).refundPayment;
      expect(pending.status).toBe('PENDING');
      // Younger than the setting: not looked at.
      await h.services.sweeper.runOnce({ refundSettleAfterMs: 3600_000 });
      const reads = () => requestsTo(h, 'GET', /^\/v1\/refunds\/re_/).filter((r) => r.account === operator.account);
      expect(reads()).toHaveLength(0);
      // Old enough, but still pending at the provider: stays PENDING (looked at again after another period).
      const still = await h.services.sweeper.runOnce({ refundSettleAfterMs: 0 });
      expect(reads()).toHaveLength(1);
      expect(still.refunds?.failed).toEqual([]);
      expect((await refundRow(pending.id)).status).toBe('PENDING');

      h.emulator.settleRefund(operator.account, (await refundRow(pending.id)).providerRefundId!);
      const swept = await h.services.sweeper.runOnce({ refundSettleAfterMs: 0 });
      expect(swept.refunds?.settled).toBeGreaterThanOrEqual(1);
      expect((await refundRow(pending.id)).status).toBe('SUCCEEDED');
      expect(await refundedOf(s.id)).toBe(500);
      // Settled: later sweeps leave it alone.
      const readsBefore = reads().length;
      await h.services.sweeper.runOnce({ refundSettleAfterMs: 0 });
      expect(reads()).toHaveLength(readsBefore);
    } finally {
      h.emulator.setWebhookUrl(h.webhookUrl);
    }
  });

  it('re-sends a refund whose provider answer was lost, with its key: one refund at the provider', async () => {
    const { operator, admin, session: s, payment } = await paidWith('pm_card_visa');
    for (let i = 0; i <= 2; i++)
      h.emulator.faults.injectNext('lostResponse', { method: 'POST', pathPrefix: '/v1/refunds' });
    expect(reasonOf(await refund(h, admin, payment.id, 600))).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    const [lost] = await h.subgraph.orm.em.fork().find(Refund, { payment: { id: payment.id } });
    expect(lost).toMatchObject({ status: 'PENDING', providerRefundId: null });

    const swept = await h.services.sweeper.runOnce({ refundSettleAfterMs: 0 });
    expect(swept.refunds?.resubmitted).toBeGreaterThanOrEqual(1);
    expect(await refundRow(lost.id)).toMatchObject({
      status: 'SUCCEEDED',
      providerRefundId: expect.stringMatching(/^re_/),
    });
    expect(await refundedOf(s.id)).toBe(600);
    const atProvider = await stripe.refunds.list(
      { payment_intent: (await paymentRow(h, s.id))!.paymentIntentId! },
      { stripeAccount: operator.account },
    );
    expect(atProvider.data.map((r) => r.amount)).toEqual([600]);
    const keys = requestsTo(h, 'POST', /^\/v1\/refunds$/)
      .filter((r) => r.account === operator.account)
      .map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([`refund:${lost.id}`]));
  });
});
