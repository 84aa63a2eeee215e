import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../dev/stripe-emulator/index.js';
import { createPaymentSubgraph, type PaymentServices } from '../../subgraphs/payment/index.js';
import {
  adminOf,
  chargeSession,
  countRows,
  createOperator,
  finishSession,
  newDriver,
  ok,
  paymentOfSession,
  paymentOrm,
  platformAdmin,
  reasonOf,
  refundPayment,
  saveCard,
  sessionsOf,
  startPaymentStack,
  startSession,
  stripeFee,
  tryStartSession,
  type Operator,
  type PaymentStack,
} from './support.js';

/*
 * End to end: the gateway over HTTP, every subgraph on real PostgreSQL, the payment subgraph on the Stripe emulator
 * (SDK unchanged) receiving the emulator's signed webhooks. One stack for the whole file (startup is the slow part).
 */

let p: PaymentStack;
let berlin: Operator;
let tokyo: Operator;
beforeAll(async () => {
  // The session-settle job (which charges an ended session by itself) is covered by the session tests; here its
  // worker polls rarely, so every charge in this file is the explicit chargeSession (the same idempotent path) and
  // faults injected for it are not taken by the job first.
  p = await startPaymentStack({ SESSION_JOB_POLLING_SECONDS: '60' });
  berlin = await createOperator(p, 'Stromfluss', {
    country: 'DE',
    currency: 'EUR',
    energyPricePerKwh: '0.40',
    preAuthorizationAmount: 5000,
  });
  // Post-paid: sessions start without a hold and are charged off-session at the end.
  tokyo = await createOperator(p, 'Denki', {
    country: 'JP',
    currency: 'JPY',
    energyPricePerKwh: '55',
    preAuthorizationAmount: 5000,
    postPaid: true,
  });
});
afterAll(() => p?.destroy());

describe('the targeted direct charge, end to end through the gateway', () => {
  it("puts each session's money on its own operator's account; the platform holds only application fees", async () => {
    const driver = newDriver();
    await saveCard(p, driver); // saved once, used at both operators

    // Berlin (EUR), with a hold placed at start on the driver's newest card; fee policy 0.
    const s1 = await startSession(p, driver, berlin);
    const started = await paymentOfSession(p, driver, s1);
    expect(started.status).toBe('ACTIVE'); // manual station: ACTIVE right after the hold
    const held = started.payment!;
    expect(held).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: { amount: 5000 } });
    const total1 = await finishSession(p, driver, berlin, s1, 12_500); // 12.5 kWh × 0.40 = 5.00 EUR
    const paid1 = ok(await chargeSession(p, driver, s1)).chargeSession;
    expect(paid1).toMatchObject({ id: held.id, status: 'SUCCEEDED', amount: total1, applicationFee: { amount: 0 } });

    // Tokyo (JPY, zero-decimal), post-paid: without a hold; fee policy 0.
    const s2 = await startSession(p, driver, tokyo);
    expect((await paymentOfSession(p, driver, s2)).payment).toBeNull();
    const total2 = await finishSession(p, driver, tokyo, s2, 20_000); // 20 kWh × 55 = 1100 JPY
    const paid2 = ok(await chargeSession(p, driver, s2)).chargeSession;
    expect(paid2).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: total2.amount, currency: 'JPY' },
      receipt: { cardBrand: 'visa', cardLast4: '4242' },
    });

    const { emulator } = p;
    expect(emulator.balanceOf(berlin.account, 'eur').available).toBe(total1.amount - stripeFee(total1.amount, 'EUR'));
    expect(emulator.balanceOf(tokyo.account, 'jpy').available).toBe(total2.amount - stripeFee(total2.amount, 'JPY'));
    expect(emulator.balanceOf(berlin.account, 'jpy').available).toBe(0);
    expect(emulator.balanceOf(tokyo.account, 'eur').available).toBe(0);
    // A 0 fee policy: the platform holds nothing, in any currency.
    expect(emulator.balanceOf('platform', 'eur')).toEqual({ available: 0, pending: 0 });
    expect(emulator.balanceOf('platform', 'jpy')).toEqual({ available: 0, pending: 0 });

    // With a fee policy, the platform's balance is exactly the application fee, and the operator's is reduced by it.
    ok(
      await p.stack.query(
        `mutation ($input: SetOperatorFeePolicyInput!) { setOperatorFeePolicy(input: $input) { feePolicy { basisPoints fixedAmount } } }`,
        { input: { operatorId: berlin.id, basisPoints: 250, fixedAmount: 10 } },
        platformAdmin,
      ),
    );
    const s3 = await startSession(p, driver, berlin);
    const total3 = await finishSession(p, driver, berlin, s3, 10_000);
    const paid3 = ok(await chargeSession(p, driver, s3)).chargeSession;
    const fee = Math.floor((total3.amount * 250 + 5000) / 10_000) + 10;
    expect(paid3.applicationFee).toEqual({ amount: fee, currency: 'EUR' });
    expect(emulator.balanceOf('platform', 'eur').available).toBe(fee);
    expect(emulator.balanceOf(berlin.account, 'eur').available).toBe(
      total1.amount - stripeFee(total1.amount, 'EUR') + total3.amount - stripeFee(total3.amount, 'EUR') - fee,
    );

    // The session shows its payment through the federation; the operator sees its revenue, per currency.
    const view = ok(
      await p.stack.query<{
        chargingSession: {
          cost: { total: { amount: number } };
          payment: { id: string; status: string; operator: { name: string } };
        };
      }>(
        `query ($id: ID!) { chargingSession(id: $id) { cost { total { amount } } payment { id status operator { name } } } }`,
        { id: s1 },
        driver,
      ),
    );
    expect(view.chargingSession).toEqual({
      cost: { total: { amount: total1.amount } },
      payment: { id: held.id, status: 'SUCCEEDED', operator: { name: 'Stromfluss' } },
    });
    const revenue = ok(
      await p.stack.query<{
        operator: {
          paymentAccount: { chargesEnabled: boolean; onboardingStatus: string };
          revenue: Array<Record<string, unknown>>;
        };
      }>(
        `query ($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { operator(id: $id) { paymentAccount { chargesEnabled onboardingStatus } revenue(from: $from, to: $to) { currency gross { amount } applicationFees { amount } net { amount } paymentCount } } }`,
        {
          id: berlin.id,
          from: new Date(Date.now() - 3600_000).toISOString(),
          to: new Date(Date.now() + 60_000).toISOString(),
        },
        adminOf(berlin.id),
      ),
    );
    expect(revenue.operator.paymentAccount).toEqual({ chargesEnabled: true, onboardingStatus: 'COMPLETE' });
    expect(revenue.operator.revenue).toEqual([
      {
        currency: 'EUR',
        gross: { amount: total1.amount + total3.amount },
        applicationFees: { amount: fee },
        net: { amount: total1.amount + total3.amount - fee },
        paymentCount: 2,
      },
    ]);

    // Refunds by the operator, on its own account; never more than remains, never by another operator.
    const refundsBefore = await countRows(p, 'refund');
    const tooMuch = await refundPayment(p, adminOf(berlin.id), paid1.id, total1.amount + 1);
    expect(reasonOf(tooMuch)).toBe('REFUND_EXCEEDS_REMAINING');
    const foreign = await refundPayment(p, adminOf(tokyo.id), paid1.id, 100);
    expect(foreign.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await countRows(p, 'refund')).toBe(refundsBefore);
    const balanceBefore = emulator.balanceOf(berlin.account, 'eur').available;
    const refunded = ok(await refundPayment(p, adminOf(berlin.id), paid1.id, 200)).refundPayment;
    expect(refunded).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 200 } });
    expect(emulator.balanceOf(berlin.account, 'eur').available).toBe(balanceBefore - 200);
  });
});

describe("the application fee on refunds follows the operator's fee policy", () => {
  const feeOf = (amount: number) => Math.floor((amount * 1000 + 5000) / 10_000) + 20; // 10 % + 0.20

  /** A paid session at a new operator with a 10 % + 0.20 fee, under `refundApplicationFee`. */
  async function paidSession(name: string, refundApplicationFee?: boolean) {
    const at = await createOperator(p, name, {
      country: 'DE',
      currency: 'EUR',
      energyPricePerKwh: '0.40',
      preAuthorizationAmount: 1000,
    });
    const policy = ok(
      await p.stack.query<{ setOperatorFeePolicy: { feePolicy: Record<string, unknown> } }>(
        `mutation ($input: SetOperatorFeePolicyInput!) { setOperatorFeePolicy(input: $input) { feePolicy { basisPoints fixedAmount refundApplicationFee } } }`,
        { input: { operatorId: at.id, basisPoints: 1000, fixedAmount: 20, refundApplicationFee } },
        platformAdmin,
      ),
    );
    expect(policy.setOperatorFeePolicy.feePolicy).toEqual({
      basisPoints: 1000,
      fixedAmount: 20,
      refundApplicationFee: refundApplicationFee ?? true,
    });
    const driver = newDriver();
    await saveCard(p, driver);
    const sessionId = await startSession(p, driver, at);
    const total = await finishSession(p, driver, at, sessionId, 10_000); // 10 kWh × 0.40 = 4.00 EUR
    const paid = ok(await chargeSession(p, driver, sessionId)).chargeSession;
    expect(paid).toMatchObject({ status: 'SUCCEEDED', applicationFee: { amount: feeOf(total.amount) } });
    return { at, paid, total };
  }

  it('by default a refund gives the fee back in proportion: a full refund costs the operator nothing of it', async () => {
    const { at, paid, total } = await paidSession('Rueckgabe');
    const fee = feeOf(total.amount); // 400 → 60
    const platformBefore = p.emulator.balanceOf('platform', 'eur').available;
    const operatorBefore = p.emulator.balanceOf(at.account, 'eur').available;

    // Half: half the fee comes back to the operator's account, from the platform's.
    ok(await refundPayment(p, adminOf(at.id), paid.id, total.amount / 2));
    expect(p.emulator.balanceOf('platform', 'eur').available).toBe(platformBefore - fee / 2);
    expect(p.emulator.balanceOf(at.account, 'eur').available).toBe(operatorBefore - total.amount / 2 + fee / 2);

    // The rest: the whole fee is back; the operator has given back exactly what the driver paid, net of the fee.
    ok(await refundPayment(p, adminOf(at.id), paid.id));
    expect(p.emulator.balanceOf('platform', 'eur').available).toBe(platformBefore - fee);
    expect(p.emulator.balanceOf(at.account, 'eur').available).toBe(operatorBefore - total.amount + fee);
    const fees = await p.stripe.applicationFees.list({ limit: 100 });
    expect(fees.data.find((f) => f.account === at.account)).toMatchObject({
      amount: fee,
      amount_refunded: fee,
      refunded: true,
    });
  });

  it('an operator whose policy keeps the fee gives back the whole refund itself; the platform keeps its fee', async () => {
    const { at, paid, total } = await paidSession('Behalten', false);
    const platformBefore = p.emulator.balanceOf('platform', 'eur').available;
    const operatorBefore = p.emulator.balanceOf(at.account, 'eur').available;
    ok(await refundPayment(p, adminOf(at.id), paid.id));
    expect(p.emulator.balanceOf('platform', 'eur').available).toBe(platformBefore);
    expect(p.emulator.balanceOf(at.account, 'eur').available).toBe(operatorBefore - total.amount);
  });
});

describe('the capture never exceeds the hold', () => {
  it('a total above the authorised amount is captured at the authorised amount, once', async () => {
    const at = await createOperator(p, 'Kappa', {
      country: 'DE',
      currency: 'EUR',
      energyPricePerKwh: '0.50',
      preAuthorizationAmount: 1000,
    });
    const driver = newDriver();
    await saveCard(p, driver);
    const sessionId = await startSession(p, driver, at);
    const held = (await paymentOfSession(p, driver, sessionId)).payment!;
    expect(held).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: { amount: 1000 } });
    const total = await finishSession(p, driver, at, sessionId, 40_000); // 40 kWh × 0.50 = 20.00 EUR > 10.00 EUR
    expect(total).toEqual({ amount: 2000, currency: 'EUR' });
    const paid = ok(await chargeSession(p, driver, sessionId)).chargeSession;
    expect(paid).toMatchObject({ id: held.id, status: 'SUCCEEDED', amount: { amount: 1000, currency: 'EUR' } });
    expect(ok(await chargeSession(p, adminOf(at.id), sessionId)).chargeSession).toMatchObject({
      id: held.id,
      amount: { amount: 1000 },
    });
    // One capture of the hold, no off-session charge for the rest.
    const calls = p.emulator.requests().filter((r) => r.account === at.account && r.method === 'POST');
    expect(calls.filter((r) => r.path.endsWith('/capture'))).toHaveLength(1);
    expect(calls.filter((r) => r.path === '/v1/payment_intents')).toHaveLength(1);
    expect(p.emulator.balanceOf(at.account, 'eur')).toEqual({ available: 1000 - stripeFee(1000, 'EUR'), pending: 0 });
  });
});

describe('typed errors through the gateway, nothing written', () => {
  it('declined card at the hold: PAYMENT_DECLINED at start, a FAILED session, no payment, no money', async () => {
    const driver = newDriver();
    await saveCard(p, driver, 'pm_card_chargeDeclined');
    const [rows, balance] = [await countRows(p, 'payment'), p.emulator.balanceOf(berlin.account, 'eur')];
    const declined = await tryStartSession(p, driver, berlin, 1);
    expect(declined.errors?.[0].extensions).toMatchObject({ code: 'PAYMENT_DECLINED', declineCode: 'generic_decline' });
    expect(await countRows(p, 'payment')).toBe(rows);
    expect(p.emulator.balanceOf(berlin.account, 'eur')).toEqual(balance);
    const [failed] = await sessionsOf(p, driver);
    expect(failed.status).toBe('FAILED');
    expect(reasonOf(await chargeSession(p, driver, failed.id))).toBe('SESSION_NOT_COMPLETED');
    // The connector is free again: a driver with a good card starts on it.
    const next = newDriver();
    await saveCard(p, next);
    const sessionId = await startSession(p, next, berlin, 1);
    await finishSession(p, next, berlin, sessionId, 1000);
    expect(ok(await chargeSession(p, next, sessionId)).chargeSession.status).toBe('SUCCEEDED');
  });

  it('authentication required at the hold: the session waits, PAYMENT_ACTION_REQUIRED, no money', async () => {
    const driver = newDriver();
    await saveCard(p, driver, 'pm_card_authenticationRequired');
    const balance = p.emulator.balanceOf(berlin.account, 'eur');
    const { startChargingSession: started } = ok(await tryStartSession(p, driver, berlin, 2));
    expect(started.status).toBe('PENDING');
    expect((await paymentOfSession(p, driver, started.id)).payment?.status).toBe('REQUIRES_ACTION');
    const confirm = await p.stack.query(
      `mutation ($id: ID!) { confirmChargingSessionStart(id: $id) { id status } }`,
      { id: started.id },
      driver,
    );
    expect(reasonOf(confirm)).toBe('PAYMENT_ACTION_REQUIRED');
    expect(reasonOf(await chargeSession(p, driver, started.id))).toBe('SESSION_NOT_COMPLETED');
    // The driver gives up: the waiting session is cancelled and its hold released; nothing was taken.
    const { stopChargingSession } = ok(
      await p.stack.query<{ stopChargingSession: { status: string } }>(
        `mutation ($id: ID!) { stopChargingSession(id: $id) { status } }`,
        { id: started.id },
        driver,
      ),
    );
    expect(stopChargingSession.status).toBe('CANCELLED');
    expect((await paymentOfSession(p, driver, started.id)).payment?.status).toBe('CANCELED');
    expect(p.emulator.balanceOf(berlin.account, 'eur')).toEqual(balance);
  });

  it('operator not onboarded: OPERATOR_NOT_PAYABLE; session not completed: SESSION_NOT_COMPLETED', async () => {
    const pending = await createOperator(p, 'Not Yet', {
      country: 'DE',
      currency: 'EUR',
      energyPricePerKwh: '0.30',
      preAuthorizationAmount: 3000,
      onboard: false,
    });
    const driver = newDriver();
    await saveCard(p, driver);
    const rows = await countRows(p, 'payment');
    // The hold at start fails: no session runs, nothing is written at the provider or in the payment database.
    expect(reasonOf(await tryStartSession(p, driver, pending))).toBe('OPERATOR_NOT_PAYABLE');
    const [failed] = await sessionsOf(p, driver);
    expect(failed.status).toBe('FAILED');
    expect(reasonOf(await chargeSession(p, driver, failed.id))).toBe('SESSION_NOT_COMPLETED');
    // Post-paid (no hold at start), the session runs; its charge at the end is refused the same way.
    ok(
      await p.stack.query(
        `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id postPaid } }`,
        { id: pending.id },
        platformAdmin,
      ),
    );
    const sessionId = await startSession(p, driver, pending);
    expect(reasonOf(await chargeSession(p, driver, sessionId))).toBe('SESSION_NOT_COMPLETED');
    await finishSession(p, driver, pending, sessionId, 1000);
    expect(reasonOf(await chargeSession(p, driver, sessionId))).toBe('OPERATOR_NOT_PAYABLE');
    expect(await countRows(p, 'payment')).toBe(rows);
    expect(p.emulator.balanceOf(pending.account, 'eur')).toEqual({ available: 0, pending: 0 });
  });
});

let operator: Operator;
/** The same kind of operator, post-paid: its sessions start without a hold (off-session charge). */
let unheld: Operator;
beforeAll(async () => {
  operator = await createOperator(p, 'Voltia', {
    country: 'DE',
    currency: 'EUR',
    energyPricePerKwh: '0.50',
    preAuthorizationAmount: 5000,
  });
  unheld = await createOperator(p, 'Voltia Direct', {
    country: 'DE',
    currency: 'EUR',
    energyPricePerKwh: '0.50',
    preAuthorizationAmount: 5000,
    postPaid: true,
  });
});

/**
 * A fresh driver with a card and a COMPLETED session at `at` — held at start (the tariff's pre-authorisation) when
 * `hold`, else at the post-paid operator.
 */
async function completedSession(options: { hold: boolean; energyWh?: number; at?: Operator }) {
  const at = options.at ?? (options.hold ? operator : unheld);
  const driver = newDriver();
  await saveCard(p, driver);
  const sessionId = await startSession(p, driver, at);
  const { payment } = await paymentOfSession(p, driver, sessionId);
  if (options.hold) expect(payment).toMatchObject({ status: 'AUTHORIZED', authorizedAmount: { amount: 5000 } });
  else expect(payment).toBeNull();
  const held = payment ?? undefined;
  const total = await finishSession(p, driver, at, sessionId, options.energyWh ?? 4000);
  return { driver, sessionId, held, total, at };
}

const captureKeys = (account: string) =>
  new Set(
    p.emulator
      .requests()
      .filter((r) => r.account === account && r.path.endsWith('/capture'))
      .map((r) => r.idempotencyKey),
  );

describe('exactly once through the gateway', () => {
  it('50 concurrent chargeSession calls: exactly one capture, one payment', async () => {
    const at = await createOperator(p, 'Concurrent', {
      country: 'DE',
      currency: 'EUR',
      energyPricePerKwh: '0.50',
      preAuthorizationAmount: 5000,
    });
    const { driver, sessionId, held, total } = await completedSession({ hold: true, at });
    const rows = await countRows(p, 'payment');
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => chargeSession(p, i % 2 ? driver : adminOf(at.id), sessionId)),
    );
    const elapsed = performance.now() - started;
    expect(results.map((r) => r.errors)).toEqual(Array(50).fill(undefined));
    expect(new Set(results.map((r) => r.data?.chargeSession.id))).toEqual(new Set([held!.id]));
    expect(await countRows(p, 'payment')).toBe(rows);
    const captures = p.emulator.requests().filter((r) => r.account === at.account && r.path.endsWith('/capture'));
    expect(captures).toHaveLength(1);
    expect(p.emulator.balanceOf(at.account, 'eur').available).toBe(total.amount - stripeFee(total.amount, 'EUR'));
    console.info(
      `e2e: 50 concurrent chargeSession through the gateway in ${elapsed.toFixed(0)} ms → ${captures.length} capture, 1 payment`,
    );
  });

  it('a retried call after a lost response returns the same payment', async () => {
    const { driver, sessionId, held, total } = await completedSession({ hold: true });
    const before = p.emulator.balanceOf(operator.account, 'eur').available;
    // Lost on the first try and on both SDK retries: the client sees PAYMENT_PROVIDER_UNAVAILABLE…
    for (let i = 0; i < 3; i++)
      p.emulator.faults.injectNext('lostResponse', { method: 'POST', pathPrefix: '/v1/payment_intents/' });
    expect(reasonOf(await chargeSession(p, driver, sessionId))).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    // …and retries: same payment, the capture replayed by its idempotency key, the money moved once.
    const retried = ok(await chargeSession(p, driver, sessionId)).chargeSession;
    expect(retried).toMatchObject({ id: held!.id, status: 'SUCCEEDED', amount: total });
    expect(captureKeys(operator.account)).toContain(`capture:${held!.id}:1`);
    expect(p.emulator.balanceOf(operator.account, 'eur').available - before).toBe(
      total.amount - stripeFee(total.amount, 'EUR'),
    );
  });

  it.each<[FaultKind, boolean]>([
    ['http500', true],
    ['http429', true],
    ['timeout', true],
    ['lostResponse', true],
    ['lostResponse', false],
  ])('%s (hold: %s): no double charge, no lost payment', async (fault, hold) => {
    const { driver, sessionId, total, at } = await completedSession({ hold });
    const before = p.emulator.balanceOf(at.account, 'eur').available;
    p.emulator.faults.injectNext(fault, { method: 'POST', pathPrefix: '/v1/payment_intents' });
    let result = await chargeSession(p, driver, sessionId);
    if (result.errors) {
      expect(reasonOf(result)).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
      result = await chargeSession(p, driver, sessionId);
    }
    expect(ok(result).chargeSession).toMatchObject({ status: 'SUCCEEDED', amount: total });
    expect(p.emulator.balanceOf(at.account, 'eur').available - before).toBe(
      total.amount - stripeFee(total.amount, 'EUR'),
    );
  });
});

describe('webhooks through the real endpoint', () => {
  async function deliver(event: Stripe.Event): Promise<{ status: number; result?: string }> {
    const payload = JSON.stringify(event);
    const secret = event.account ? 'whsec_emulator_connect' : 'whsec_emulator_platform';
    const response = await fetch(p.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': p.stripe.webhooks.generateTestHeaderString({ payload, secret }),
      },
      body: payload,
    });
    const body = (await response.json()) as { result?: string };
    return { status: response.status, result: body.result };
  }

  async function eventsOf(account: string): Promise<Stripe.Event[]> {
    return [...(await p.stripe.events.list({ limit: 100 }, { stripeAccount: account })).data].reverse();
  }

  const paymentState = async (sessionId: string) => {
    const [row]: Array<Record<string, unknown>> = await paymentOrm(p)
      .em.fork()
      .execute('select status, amount, refunded_amount, version from payment where session_id = ?', [sessionId]);
    return row;
  };

  it('a full replay, in reverse order, changes nothing; a bad signature is 400', async () => {
    const { driver, sessionId } = await completedSession({ hold: true });
    const paid = ok(await chargeSession(p, driver, sessionId)).chargeSession;
    ok(
      await p.stack.query(
        `mutation ($input: RefundPaymentInput!) { refundPayment(input: $input) { id } }`,
        { input: { paymentId: paid.id, amount: 100 } },
        adminOf(operator.id),
      ),
    );
    await p.emulator.flushWebhooks();
    const settled = await paymentState(sessionId);
    expect(settled).toMatchObject({ status: 'SUCCEEDED', refunded_amount: 100 });

    const events = await eventsOf(operator.account);
    const results = [];
    for (const event of [...events].reverse()) results.push(await deliver(event));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.result === 'applied')).toHaveLength(0);
    expect(await paymentState(sessionId)).toEqual(settled);

    const forged = await fetch(p.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: JSON.stringify(events[0]),
    });
    expect(forged.status).toBe(400);
  });

  it("events delivered late and out of order converge on the provider's state", async () => {
    const driver = newDriver();
    await saveCard(p, driver, 'pm_card_authenticationRequired');
    p.emulator.setWebhookUrl(undefined); // hold the deliveries back
    let sessionId: string;
    try {
      // The hold is placed at start: 3-D Secure, so the session waits PENDING.
      const { startChargingSession: started } = ok(await tryStartSession(p, driver, operator));
      sessionId = started.id;
      expect(started.status).toBe('PENDING');
      expect((await paymentOfSession(p, driver, sessionId)).payment?.status).toBe('REQUIRES_ACTION');
      const [row]: Array<{ payment_intent_id: string }> = await paymentOrm(p)
        .em.fork()
        .execute('select payment_intent_id from payment where session_id = ?', [sessionId]);
      await fetch(
        `${p.emulator.url}/_emulator/payment_intents/${row.payment_intent_id}/authenticate?account=${operator.account}`,
      );
      const late = (await eventsOf(operator.account)).filter(
        (e) =>
          e.type.startsWith('payment_intent.') && 'id' in e.data.object && e.data.object.id === row.payment_intent_id,
      );
      for (const event of [...late].reverse()) expect((await deliver(event)).status).toBe(200);
      expect((await paymentState(sessionId))?.status).toBe('AUTHORIZED');
    } finally {
      p.emulator.setWebhookUrl(p.webhookUrl);
    }
    // Authorised by the late webhooks alone: the driver's confirmation starts the session.
    const { confirmChargingSessionStart } = ok(
      await p.stack.query<{ confirmChargingSessionStart: { status: string } }>(
        `mutation ($id: ID!) { confirmChargingSessionStart(id: $id) { status } }`,
        { id: sessionId },
        driver,
      ),
    );
    expect(confirmChargingSessionStart.status).toBe('ACTIVE');
    await finishSession(p, driver, operator, sessionId, 1000);
    expect(ok(await chargeSession(p, driver, sessionId)).chargeSession.status).toBe('SUCCEEDED');
  });
});

describe('the sweeper, as a second replica on the same database', () => {
  it("charges a completed session nobody charged, through the session subgraph's list", async () => {
    let replica: PaymentServices | undefined;
    const payment = p.stack.subgraphs.payment!;
    const module = createPaymentSubgraph({ onServices: (services) => (replica = services) });
    const own = await module.provide!({
      config: payment.config,
      orm: payment.orm,
      logger: payment.logger,
      services: payment.services,
    });
    try {
      const { driver, sessionId, total } = await completedSession({ hold: false });
      const report = await replica!.sweeper.runOnce({ graceMs: 0 });
      expect(report.charged).toBeGreaterThanOrEqual(1);
      const view = ok(
        await p.stack.query<{ chargingSession: { payment: { status: string; amount: { amount: number } } } }>(
          `query ($id: ID!) { chargingSession(id: $id) { payment { status amount { amount } } } }`,
          { id: sessionId },
          driver,
        ),
      );
      expect(view.chargingSession.payment).toEqual({ status: 'SUCCEEDED', amount: { amount: total.amount } });
      // A second pass finds nothing left to do.
      const again = await replica!.sweeper.runOnce({ graceMs: 0 });
      expect(again.charged).toBe(0);
    } finally {
      await own.close?.();
    }
  });
});
