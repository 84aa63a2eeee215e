import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  charge,
  complete,
  countPayments,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  paymentRow,
  reasonOf,
  refund,
  adminOf,
  requestsTo,
  session,
  startHarness,
  type Harness,
} from './harness.js';

// One SDK retry here (production: 2) keeps the fault tests quick; "every retry" below means RETRIES + 1 faults.
const RETRIES = 1;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ STRIPE_TIMEOUT_MS: '800', STRIPE_MAX_NETWORK_RETRIES: String(RETRIES) });
});
afterAll(() => h?.destroy());

/** A session at a fresh operator, held (or not), completed at `total`. */
async function completedSession(options: { hold: boolean; total?: number }) {
  const operator = await onboardedOperator(h);
  const driver = newDriver();
  const cardId = await driverWithCard(h, driver);
  const s = session(h, { driverId: driver.sub!, operatorId: operator.id, preAuthorization: 5000 });
  const held = options.hold ? dataOf(await authorize(h, driver, s.id, cardId)).authorizeChargingSession : undefined;
  complete(s, options.total ?? 1000);
  return { operator, driver, session: s, held };
}

/** What the operator keeps of one charge of `amount` EUR cents (emulator fee model: 2.9 % + 30). */
const netOf = (amount: number) => amount - Math.round(amount * 0.029) - 30;

describe('exactly once under concurrency', () => {
  it.each([
    ['with a hold', true],
    ['without a hold', false],
  ])('50 concurrent chargeSession calls %s: one capture/charge, one payment', async (_case, hold) => {
    const { operator, driver, session: s, held } = await completedSession({ hold, total: 1000 });
    const rows = await countPayments(h);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => charge(h, driver, s.id)));
    const elapsed = performance.now() - started;
    const ids = new Set(results.map((r) => dataOf(r).chargeSession.id));
    expect(ids.size).toBe(1);
    if (held) expect([...ids][0]).toBe(held.id);
    expect(results.every((r) => r.data?.chargeSession.status === 'SUCCEEDED')).toBe(true);
    expect(await countPayments(h)).toBe(rows + (hold ? 0 : 1));

    const moneyCalls = h.emulator
      .requests()
      .filter(
        (r) =>
          r.account === operator.account &&
          r.method === 'POST' &&
          (r.path.endsWith('/capture') || r.path === '/v1/payment_intents'),
      );
    const expected = hold ? [/^hold:/, /^capture:/] : [/^charge:/];
    expect(moneyCalls).toHaveLength(expected.length);
    moneyCalls.forEach((call, i) => expect(call.idempotencyKey).toMatch(expected[i]));
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(netOf(1000));
    console.info(
      `50 concurrent chargeSession (${_case}): ${elapsed.toFixed(0)} ms, ${moneyCalls.length} money-moving provider call(s)`,
    );
  });
});

describe('exactly once under provider faults', () => {
  // One fault of each kind on the capture is covered end to end (test/payment); here: faults on every retry.
  it('a response lost on every SDK retry: the client retry returns the same payment, charged once', async () => {
    const { operator, driver, session: s } = await completedSession({ hold: false, total: 2200 });
    for (let i = 0; i <= RETRIES; i++)
      h.emulator.faults.injectNext('lostResponse', { method: 'POST', pathPrefix: '/v1/payment_intents' });
    const lost = await charge(h, driver, s.id);
    expect(reasonOf(lost)).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    const pending = await paymentRow(h, s.id);
    expect(pending).toMatchObject({ status: 'PENDING', attempt: 1 });
    // The provider did charge (its answer was lost): the money is there once already.
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(netOf(2200));

    const retried = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(retried).toMatchObject({ id: pending!.id, status: 'SUCCEEDED', amount: { amount: 2200 } });
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(netOf(2200));
    const keys = h.emulator
      .requests()
      .filter((r) => r.account === operator.account && r.path === '/v1/payment_intents')
      .map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([`charge:${pending!.id}:1`]));
  });

  it('a hold whose creation keeps failing with 500: the retry places exactly one hold', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    for (let i = 0; i <= RETRIES; i++)
      h.emulator.faults.injectNext('http500', { method: 'POST', pathPrefix: '/v1/payment_intents' });
    expect(reasonOf(await authorize(h, driver, s.id, cardId))).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    const pending = await paymentRow(h, s.id);
    expect(pending?.status).toBe('PENDING');
    const held = dataOf(await authorize(h, driver, s.id, cardId)).authorizeChargingSession;
    expect(held).toMatchObject({ id: pending!.id, status: 'AUTHORIZED' });
    const holds = h.emulator
      .requests()
      .filter((r) => r.account === operator.account && r.path === '/v1/payment_intents' && r.status === 200);
    expect(holds.map((r) => r.idempotencyKey)).toEqual([`hold:${pending!.id}:1`]);
  });

  it('a refund whose response is lost on every SDK retry is made once', async () => {
    const { operator, driver, session: s } = await completedSession({ hold: false, total: 3000 });
    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    for (let i = 0; i <= RETRIES; i++)
      h.emulator.faults.injectNext('lostResponse', { method: 'POST', pathPrefix: '/v1/refunds' });
    expect(reasonOf(await refund(h, adminOf(operator.id), paid.id, 1000))).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    const retried = dataOf(await refund(h, adminOf(operator.id), paid.id, 1000)).refundPayment;
    expect(retried).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 1000 } });
    expect(
      new Set(
        requestsTo(h, 'POST', /^\/v1\/refunds$/)
          .filter((r) => r.account === operator.account)
          .map((r) => r.idempotencyKey),
      ),
    ).toEqual(new Set([`refund:${retried.id}`]));
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(netOf(3000) - 1000);
    expect((await paymentRow(h, s.id))?.refundedAmount).toBe(1000);
  });
});
