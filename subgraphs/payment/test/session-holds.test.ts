import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sweeper } from '../sweeper.js';
import {
  charge,
  complete,
  countPayments,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  PAYMENT_FIELDS,
  paymentRow,
  platformAdmin,
  reasonOf,
  requestsTo,
  service,
  session,
  startHarness,
  type Harness,
  type PaymentView,
  type SessionFact,
} from './harness.js';
import type { Identity } from '../../../platform/identity.js';

/*
 * The session subgraph's hold operations (service only) against the Stripe emulator: place (PENDING or ACTIVE,
 * given or newest card), release, increment (raised, unsupported card, declined), the capture capped at what was
 * authorised, the sweeper as a pg-boss job and `session_changed` on the bus.
 */

let h: Harness;
let stripe: Stripe;
beforeAll(async () => {
  h = await startHarness();
  stripe = new Stripe('sk_test_emulator', h.emulator.clientOptions);
}, 60_000);
afterAll(() => h?.destroy());

const place = (sessionId: string, paymentMethodId?: string, who: Identity = service) =>
  h.subgraph.run<{ placeSessionHold: PaymentView }>(
    `mutation ($id: ID!, $pm: ID) { placeSessionHold(sessionId: $id, paymentMethodId: $pm) { ${PAYMENT_FIELDS} } }`,
    { id: sessionId, pm: paymentMethodId ?? null },
    who,
  );
const release = (sessionId: string, who: Identity = service) =>
  h.subgraph.run<{ releaseSessionHold: PaymentView | null }>(
    `mutation ($id: ID!) { releaseSessionHold(sessionId: $id) { ${PAYMENT_FIELDS} } }`,
    { id: sessionId },
    who,
  );
interface Increment {
  incremented: boolean;
  authorizedAmount: number;
  reason: string | null;
}
const increment = (sessionId: string, amount: number, who: Identity = service) =>
  h.subgraph.run<{ incrementSessionHold: Increment }>(
    `mutation ($id: ID!, $amount: Int!) { incrementSessionHold(sessionId: $id, amount: $amount) { incremented authorizedAmount reason } }`,
    { id: sessionId, amount },
    who,
  );

/** An onboarded operator, a driver with `cards` (newest last) and a session of theirs. */
async function setup(options: { cards?: string[]; status?: SessionFact['status']; hold?: number } = {}) {
  const operator = await onboardedOperator(h);
  const driver = newDriver();
  const cardIds: string[] = [];
  for (const card of options.cards ?? ['pm_card_visa']) cardIds.push(await driverWithCard(h, driver, card));
  const s = session(h, {
    driverId: driver.sub!,
    operatorId: operator.id,
    status: options.status ?? 'ACTIVE',
    preAuthorization: options.hold ?? 5000,
  });
  return { operator, driver, cardIds, session: s };
}

async function intentOf(sessionId: string, account: string): Promise<Stripe.PaymentIntent> {
  const row = await paymentRow(h, sessionId);
  if (!row?.paymentIntentId) throw new Error('no intent');
  return stripe.paymentIntents.retrieve(row.paymentIntentId, {}, { stripeAccount: account });
}

describe('placeSessionHold', () => {
  it("holds an ACTIVE session on the operator's account with the driver's newest card, incremental auth requested", async () => {
    const { operator, cardIds, session: s } = await setup({ cards: ['pm_card_visa', 'pm_card_mastercard'] });
    const payment = dataOf(await place(s.id)).placeSessionHold;
    expect(payment).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: { amount: 5000, currency: 'EUR' } });
    expect(await paymentRow(h, s.id)).toMatchObject({ savedPaymentMethodId: cardIds[1], cardBrand: 'mastercard' });
    const intent = await intentOf(s.id, operator.account);
    expect(intent).toMatchObject({ status: 'requires_capture', amount: 5000, capture_method: 'manual' });
    expect(intent.payment_method_options?.card?.request_incremental_authorization).toBe('if_available');
    const holds = requestsTo(h, 'POST', /^\/v1\/payment_intents$/).filter((r) => r.account === operator.account);
    expect(holds.map((r) => r.idempotencyKey)).toEqual([`hold:${payment.id}:1`]);
    // A retry (lost answer) gets the same payment and places nothing new.
    expect(dataOf(await place(s.id)).placeSessionHold.id).toBe(payment.id);
    expect(requestsTo(h, 'POST', /^\/v1\/payment_intents$/).filter((r) => r.account === operator.account)).toHaveLength(
      1,
    );
  });

  it('holds a PENDING session (waiting for the charger) with the card it is given', async () => {
    const {
      operator,
      cardIds,
      session: s,
    } = await setup({ cards: ['pm_card_visa', 'pm_card_mastercard'], status: 'PENDING' });
    const payment = dataOf(await place(s.id, cardIds[0])).placeSessionHold;
    expect(payment.status).toBe('AUTHORIZED');
    expect(await paymentRow(h, s.id)).toMatchObject({ savedPaymentMethodId: cardIds[0], cardBrand: 'visa' });
    expect((await intentOf(s.id, operator.account)).amount).toBe(5000);
  });

  it("refuses another driver's card (NOT_FOUND), no card (PAYMENT_METHOD_REQUIRED), an ended session", async () => {
    const other = await setup();
    const { session: s } = await setup({ cards: [] });
    expect(reasonOf(await place(s.id, other.cardIds[0]))).toBe('NOT_FOUND');
    expect(reasonOf(await place(s.id))).toBe('PAYMENT_METHOD_REQUIRED');
    const ended = await setup({ status: 'COMPLETED' });
    expect(reasonOf(await place(ended.session.id))).toBe('SESSION_NOT_ACTIVE');
    expect(await paymentRow(h, s.id)).toBeNull();
    expect(await paymentRow(h, ended.session.id)).toBeNull();
  });

  it('a declined card is PAYMENT_DECLINED and leaves no payment', async () => {
    const { session: s } = await setup({ cards: ['pm_card_chargeDeclinedInsufficientFunds'] });
    const declined = await place(s.id);
    expect(reasonOf(declined)).toBe('PAYMENT_DECLINED');
    expect(declined.errors?.[0]?.extensions?.declineCode).toBe('insufficient_funds');
    expect(await paymentRow(h, s.id)).toBeNull();
  });

  it('3-D Secure: the payment comes back REQUIRES_ACTION', async () => {
    const { session: s } = await setup({ cards: ['pm_card_authenticationRequired'] });
    expect(dataOf(await place(s.id)).placeSessionHold.status).toBe('REQUIRES_ACTION');
  });

  it('is FORBIDDEN for drivers and platform admins, like release and increment', async () => {
    const { driver, cardIds, session: s } = await setup();
    const before = await countPayments(h);
    for (const who of [driver, platformAdmin]) {
      expect(reasonOf(await place(s.id, cardIds[0], who))).toBe('FORBIDDEN');
      expect(reasonOf(await release(s.id, who))).toBe('FORBIDDEN');
      expect(reasonOf(await increment(s.id, 9000, who))).toBe('FORBIDDEN');
    }
    expect(await countPayments(h)).toBe(before);
  });

  it('is not in the public API: the operations and their own type are @inaccessible', () => {
    const sdl = h.subgraph.schema.getMutationType()?.getFields() ?? {};
    for (const name of ['placeSessionHold', 'releaseSessionHold', 'incrementSessionHold']) {
      expect(sdl[name]?.astNode?.directives?.map((d) => d.name.value)).toContain('inaccessible');
    }
    const type = h.subgraph.schema.getType('SessionHoldIncrement');
    expect(type?.astNode?.directives?.map((d) => d.name.value)).toContain('inaccessible');
  });
});

describe('releaseSessionHold', () => {
  it('cancels the hold of a FAILED session, idempotently; refuses while it runs; null without a payment', async () => {
    const { operator, session: s } = await setup();
    const held = dataOf(await place(s.id)).placeSessionHold;
    expect(reasonOf(await release(s.id))).toBe('CONFLICT');
    s.status = 'FAILED';
    const released = dataOf(await release(s.id)).releaseSessionHold;
    expect(released).toMatchObject({ id: held.id, status: 'CANCELED' });
    expect((await intentOf(s.id, operator.account)).status).toBe('canceled');
    expect(dataOf(await release(s.id)).releaseSessionHold).toMatchObject({ id: held.id, status: 'CANCELED' });
    const cancels = requestsTo(h, 'POST', /\/cancel$/).filter((r) => r.account === operator.account);
    expect(cancels.map((r) => r.idempotencyKey)).toEqual([`cancel:${held.id}:1`]);

    const none = await setup({ status: 'CANCELLED' });
    expect(dataOf(await release(none.session.id)).releaseSessionHold).toBeNull();
  });

  it('does not release the hold of a COMPLETED session: chargeSession captures it', async () => {
    const { session: s } = await setup();
    dataOf(await place(s.id));
    complete(s);
    expect(reasonOf(await release(s.id))).toBe('CONFLICT');
    expect((await paymentRow(h, s.id))?.status).toBe('AUTHORIZED');
  });
});

describe('incrementSessionHold and the capped capture', () => {
  it('raises the hold on the operator account, then captures up to the raised amount', async () => {
    const { operator, session: s } = await setup();
    const held = dataOf(await place(s.id)).placeSessionHold;
    expect(dataOf(await increment(s.id, 8000)).incrementSessionHold).toEqual({
      incremented: true,
      authorizedAmount: 8000,
      reason: null,
    });
    expect(await paymentRow(h, s.id)).toMatchObject({ authorizedAmount: 8000, status: 'AUTHORIZED' });
    expect((await intentOf(s.id, operator.account)).amount_capturable).toBe(8000);
    // A retry of the same increment: already covered, no second provider call.
    expect(dataOf(await increment(s.id, 8000)).incrementSessionHold.incremented).toBe(true);
    const increments = requestsTo(h, 'POST', /\/increment_authorization$/).filter(
      (r) => r.account === operator.account,
    );
    expect(increments.map((r) => r.idempotencyKey)).toEqual([`increment:${held.id}:1:8000`]);

    complete(s, 7000); // above the first hold, within the raised one
    const paid = dataOf(await charge(h, service, s.id)).chargeSession; // the session subgraph settles as SERVICE
    expect(paid).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 7000 } });
    expect((await intentOf(s.id, operator.account)).amount_received).toBe(7000);
    expect(dataOf(await increment(s.id, 9000)).incrementSessionHold).toEqual({
      incremented: false,
      authorizedAmount: 8000,
      reason: 'hold_not_open',
    });
  });

  it('a card without incremental authorization (JCB): incremented false, nothing asked of the provider', async () => {
    const { operator, session: s } = await setup({ cards: ['pm_card_jcb'] });
    dataOf(await place(s.id));
    expect(dataOf(await increment(s.id, 8000)).incrementSessionHold).toEqual({
      incremented: false,
      authorizedAmount: 5000,
      reason: 'incremental_authorization_unavailable',
    });
    expect(requestsTo(h, 'POST', /\/increment_authorization$/).filter((r) => r.account === operator.account)).toEqual(
      [],
    );
    expect((await paymentRow(h, s.id))?.authorizedAmount).toBe(5000);
  });

  it('a declined increment: incremented false with the decline code; the hold stays as it was', async () => {
    const { operator, session: s } = await setup({ cards: ['pm_card_incrementDeclined'] });
    dataOf(await place(s.id));
    expect(dataOf(await increment(s.id, 8000)).incrementSessionHold).toEqual({
      incremented: false,
      authorizedAmount: 5000,
      reason: 'insufficient_funds',
    });
    expect(await paymentRow(h, s.id)).toMatchObject({ authorizedAmount: 5000, status: 'AUTHORIZED' });
    expect((await intentOf(s.id, operator.account)).amount_capturable).toBe(5000);
    // Charged above the hold: capped at what was authorised.
    complete(s, 6500);
    expect(dataOf(await charge(h, service, s.id)).chargeSession).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: 5000 },
    });
  });

  it('no hold: incremented false (no_hold)', async () => {
    const { session: s } = await setup();
    expect(dataOf(await increment(s.id, 8000)).incrementSessionHold).toEqual({
      incremented: false,
      authorizedAmount: 0,
      reason: 'no_hold',
    });
  });
});

describe('sweeper job and bus', () => {
  it('runs the sweep from the pg-boss queue (cron declared) and charges a forgotten session', async () => {
    const { session: s } = await setup();
    complete(s, 1500);
    const { jobs, sweeper } = h.services;
    await sweeper.schedule(jobs, '* * * * *');
    const schedules: Array<{ name: string; cron: string }> = await h.subgraph.orm.em
      .fork()
      .execute('select name, cron from pgboss.schedule');
    expect(schedules).toContainEqual({ name: Sweeper.JOB, cron: '* * * * *' });
    await jobs.send(Sweeper.JOB, {});
    const deadline = Date.now() + 20_000;
    while ((await paymentRow(h, s.id))?.status !== 'SUCCEEDED' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await paymentRow(h, s.id)).toMatchObject({ status: 'SUCCEEDED', amount: 1500 });
  }, 30_000);

  it('publishes session_changed {id} after a committed charge (and after the hold)', async () => {
    const { session: s } = await setup();
    const heard: unknown[] = [];
    const unsubscribe = await h.services.bus.subscribe('session_changed', (message) => heard.push(message));
    try {
      dataOf(await place(s.id));
      complete(s);
      dataOf(await charge(h, service, s.id));
      const deadline = Date.now() + 5_000;
      while (
        heard.filter((m) => JSON.stringify(m) === JSON.stringify({ id: s.id })).length < 2 &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(heard.filter((m) => JSON.stringify(m) === JSON.stringify({ id: s.id })).length).toBeGreaterThanOrEqual(2);
    } finally {
      unsubscribe();
    }
  });
});
