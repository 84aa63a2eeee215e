import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../platform/ids.js';
import { ANONYMOUS } from '../../../platform/identity.js';
import { Sweeper } from '../sweeper.js';
import { DriverCustomer } from '../card/card.entity.js';
import {
  adminOf,
  authorize,
  charge,
  complete,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  paymentRow,
  platformAdmin,
  requestsTo,
  session,
  startHarness,
  type Harness,
} from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.destroy());

describe('driver cards', () => {
  const LIST = `{ myPaymentMethods { id brand last4 expMonth expYear } }`;

  it('saves a card once per card, shows only brand, last 4 and expiry, and removes it', async () => {
    const driver = newDriver();
    const visa = await driverWithCard(h, driver, 'pm_card_visa');
    const again = await driverWithCard(h, driver, 'pm_card_visa'); // same card (fingerprint): one saved card
    const mastercard = await driverWithCard(h, driver, 'pm_card_mastercard');
    expect(again).toBe(visa);
    const listed = dataOf(
      await h.subgraph.run<{ myPaymentMethods: Array<Record<string, unknown>> }>(LIST, {}, driver),
    ).myPaymentMethods;
    expect(listed.map((m) => m.id)).toEqual([mastercard, visa]);
    expect(listed[1]).toEqual({ id: visa, brand: 'visa', last4: '4242', expMonth: 12, expYear: expect.any(Number) });
    expect(JSON.stringify(listed)).not.toMatch(/pm_|cus_|fingerprint/);
    // One platform Customer per driver, whatever the number of cards.
    expect(await h.subgraph.orm.em.fork().count(DriverCustomer, { driverId: driver.sub! })).toBe(1);
    expect(
      requestsTo(h, 'POST', /^\/v1\/customers$/).filter((r) => r.idempotencyKey === `customer:${driver.sub}`),
    ).toHaveLength(1);

    const other = newDriver();
    expect(
      (await h.subgraph.run(`mutation ($id: ID!) { removePaymentMethod(id: $id) }`, { id: visa }, other)).errors?.[0]
        .extensions?.code,
    ).toBe('NOT_FOUND');
    expect(
      dataOf(await h.subgraph.run(`mutation ($id: ID!) { removePaymentMethod(id: $id) }`, { id: visa }, driver)),
    ).toEqual({ removePaymentMethod: true });
    expect(
      dataOf(await h.subgraph.run<{ myPaymentMethods: unknown[] }>(LIST, {}, driver)).myPaymentMethods,
    ).toHaveLength(1);
  });

  it('refuses unknown methods, non-drivers and anonymous callers', async () => {
    const save = `mutation ($pm: String!) { savePaymentMethod(paymentMethodId: $pm) { id } }`;
    expect((await h.subgraph.run(save, { pm: 'pm_does_not_exist' }, newDriver())).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await h.subgraph.run(save, { pm: 'not a method' }, newDriver())).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await h.subgraph.run(save, { pm: 'pm_card_visa' }, adminOf(newId()))).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await h.subgraph.run(save, { pm: 'pm_card_visa' }, platformAdmin)).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await h.subgraph.run(LIST, {}, ANONYMOUS)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('sweeper', () => {
  it('charges completed sessions nobody charged, flags the rest, and is safe to run twice at once', async () => {
    const operator = await onboardedOperator(h);
    const notPayable = newId();
    h.owners.operators.set(notPayable, { id: notPayable, country: 'DE', contactEmail: 'x@example.com' });

    const held = newDriver();
    const heldCard = await driverWithCard(h, held);
    const heldSession = session(h, { driverId: held.sub!, operatorId: operator.id });
    dataOf(await authorize(h, held, heldSession.id, heldCard));
    complete(heldSession, 1100);

    const carded = newDriver();
    await driverWithCard(h, carded);
    const noHoldSession = session(h, { driverId: carded.sub!, operatorId: operator.id });
    complete(noHoldSession, 1300);

    const cardless = newDriver();
    const noCardSession = session(h, { driverId: cardless.sub!, operatorId: operator.id });
    complete(noCardSession, 900);

    const declined = newDriver();
    await driverWithCard(h, declined, 'pm_card_chargeDeclined');
    const declinedSession = session(h, { driverId: declined.sub!, operatorId: operator.id });
    complete(declinedSession, 800);

    const unpayable = session(h, { driverId: carded.sub!, operatorId: notPayable });
    complete(unpayable, 700);

    const paid = newDriver();
    await driverWithCard(h, paid);
    const paidSession = session(h, { driverId: paid.sub!, operatorId: operator.id });
    complete(paidSession, 500);
    dataOf(await charge(h, paid, paidSession.id));

    const justEnded = session(h, { driverId: carded.sub!, operatorId: operator.id });
    complete(justEnded, 600);
    justEnded.endedAt = new Date(); // within the grace period: the app is probably charging it right now

    // A second replica sweeping at the same moment.
    const replica = new Sweeper({
      orm: h.subgraph.orm,
      sessions: h.services.sessions,
      payments: h.services.payments,
      logger: h.subgraph.logger,
      graceMs: 60_000,
      lookbackMs: 86_400_000,
      pageSize: 2,
    });
    const [first, second] = await Promise.all([h.services.sweeper.runOnce({ graceMs: 60_000 }), replica.runOnce()]);

    expect(await paymentRow(h, heldSession.id)).toMatchObject({ status: 'SUCCEEDED', amount: 1100 });
    expect(await paymentRow(h, noHoldSession.id)).toMatchObject({ status: 'SUCCEEDED', amount: 1300 });
    expect(await paymentRow(h, noCardSession.id)).toMatchObject({
      status: 'FAILED',
      attempt: 0,
      needsAttention: true,
      attentionReason: 'payment_method_required',
    });
    expect(await paymentRow(h, declinedSession.id)).toMatchObject({
      status: 'FAILED',
      needsAttention: true,
      failureCode: 'generic_decline',
    });
    expect(await paymentRow(h, unpayable.id)).toMatchObject({
      status: 'FAILED',
      needsAttention: true,
      attentionReason: 'operator_not_payable',
    });
    expect(await paymentRow(h, justEnded.id)).toBeNull();
    // Both replicas saw every session; the provider saw one capture and one charge.
    expect(first.scanned + second.scanned).toBeGreaterThanOrEqual(12);
    const onAccount = h.emulator
      .requests()
      .filter((r) => r.account === operator.account && r.method === 'POST' && r.status === 200);
    expect(onAccount.filter((r) => r.path.endsWith('/capture'))).toHaveLength(1);
    const noHold = await paymentRow(h, noHoldSession.id);
    expect(
      onAccount.filter((r) => r.path === '/v1/payment_intents' && r.idempotencyKey === `charge:${noHold!.id}:1`),
    ).toHaveLength(1);
    const declinedAttempts = () =>
      h.emulator.requests().filter((r) => r.path === '/v1/payment_intents' && r.status === 402).length;
    const declines = declinedAttempts();

    // The next sweep does not hammer the declined card; once the driver saves a card, the flagged session is charged.
    await driverWithCard(h, cardless);
    const next = await h.services.sweeper.runOnce({ graceMs: 0 });
    expect(declinedAttempts()).toBe(declines);
    expect(await paymentRow(h, noCardSession.id)).toMatchObject({
      status: 'SUCCEEDED',
      attempt: 1,
      amount: 900,
      needsAttention: false,
    });
    expect(await paymentRow(h, justEnded.id)).toMatchObject({ status: 'SUCCEEDED', amount: 600 });
    expect(next.charged).toBe(2);
  });
});
