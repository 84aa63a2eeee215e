/**
 * Analytics fed by the real money flow: the whole platform through the gateway, the payment subgraph on the Stripe
 * emulator. A declined hold leaves no payment row, a declined off-session charge is overwritten by the next attempt:
 * the decline log still counts both, and the daily revenue the trigger keeps follows captures and refunds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import { Role } from '../../platform/identity.js';
import {
  adminOf,
  chargeSession,
  createOperator,
  finishSession,
  newDriver,
  ok,
  paymentOfSession,
  platformAdmin,
  reasonOf,
  refundPayment,
  saveCard,
  startPaymentStack,
  startSession,
  sessionsOf,
  tryStartSession,
  type Operator,
  type PaymentStack,
} from '../payment/support.js';
import { localDate, rows } from './support.js';

const analyst: TokenClaims = { role: Role.ANALYST, sub: 'analyst-flow' };

let p: PaymentStack;
let operator: Operator;
beforeAll(async () => {
  p = await startPaymentStack();
  operator = await createOperator(p, 'Analytica', {
    country: 'DE',
    currency: 'EUR',
    energyPricePerKwh: '0.40',
    preAuthorizationAmount: 5000,
  });
}, 120_000);
afterAll(() => p?.destroy());

/** The operator's post-paid setting (no hold at start) on or off. */
async function setPostPaid(postPaid: boolean): Promise<void> {
  ok(
    await p.stack.query(
      `mutation ($id: ID!, $postPaid: Boolean!) { updateOperator(id: $id, input: { postPaid: $postPaid }) { id } }`,
      { id: operator.id, postPaid },
      platformAdmin,
    ),
  );
}

/** Waits for the session-settle job (queued by the stop) to settle the session; returns its payment's status. */
async function settledPayment(driver: TokenClaims, sessionId: string): Promise<string | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await rows<{ settled: boolean }>(
      p.stack,
      'session',
      'select settled_at is not null as settled from charging_session where id = ?',
      [sessionId],
    );
    if (row?.settled) return (await paymentOfSession(p, driver, sessionId)).payment?.status;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} never settled`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Today in Berlin (the test stations' zone), with a day of slack either side against midnight. */
function aroundToday() {
  const today = localDate(new Date(), 'Europe/Berlin');
  const shift = (days: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  return { from: shift(-1), to: shift(2) };
}

describe('analytics over real payments', () => {
  it('counts declined holds and declined charges, successes and refunds; revenue follows captures and refunds', async () => {
    // A: the hold placed at start is declined (the session FAILED, its payment row deleted); with a second card a
    // new session on the same connector is held, and the settle job captures it when the driver stops.
    const a = newDriver();
    await saveCard(p, a, 'pm_card_chargeDeclined');
    expect(reasonOf(await tryStartSession(p, a, operator, 0))).toBe('PAYMENT_DECLINED');
    const [failed] = await sessionsOf(p, a);
    expect(failed.status).toBe('FAILED');
    await saveCard(p, a);
    const s1 = await startSession(p, a, operator, 0);
    expect((await paymentOfSession(p, a, s1)).payment?.status).toBe('AUTHORIZED');
    const t1 = await finishSession(p, a, operator, s1, 10_000);
    expect(await settledPayment(a, s1)).toBe('SUCCEEDED');

    // B: post-paid, no hold; the settle job's off-session charge is declined (FAILED, attempt 1), a new card pays
    // (attempt 2, the driver's retry).
    await setPostPaid(true);
    const b = newDriver();
    await saveCard(p, b, 'pm_card_chargeDeclinedInsufficientFunds');
    const s2 = await startSession(p, b, operator, 1);
    await setPostPaid(false);
    const t2 = await finishSession(p, b, operator, s2, 5_000);
    expect(await settledPayment(b, s2)).toBe('FAILED');
    await saveCard(p, b);
    expect(ok(await chargeSession(p, b, s2)).chargeSession.status).toBe('SUCCEEDED');

    // C: held at start, captured by the settle job at stop, then refunded in part by the operator.
    const c = newDriver();
    await saveCard(p, c);
    const s3 = await startSession(p, c, operator, 2);
    const t3 = await finishSession(p, c, operator, s3, 2_500);
    expect(await settledPayment(c, s3)).toBe('SUCCEEDED');
    const paid = ok(await chargeSession(p, c, s3)).chargeSession; // idempotent: the same payment, no new attempt
    ok(await refundPayment(p, adminOf(operator.id), paid.id, 100));

    const declines = await rows<{
      session_id: string;
      kind: string;
      attempt: number;
      failure_code: string | null;
      time_zone: string;
    }>(
      p.stack,
      'payment',
      'select session_id, kind, attempt, failure_code, time_zone from payment_decline where operator_id = ? order by declined_at',
      [operator.id],
    );
    expect(declines).toEqual([
      { session_id: failed.id, kind: 'HOLD', attempt: 1, failure_code: 'generic_decline', time_zone: 'Europe/Berlin' },
      { session_id: s2, kind: 'CHARGE', attempt: 1, failure_code: 'insufficient_funds', time_zone: 'Europe/Berlin' },
    ]);

    const data = ok(
      await p.stack.query<{ operator: { paymentStats: unknown; revenueReport: unknown[] } }>(
        `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) {
           paymentStats(period: $period) { attempts succeeded declined refunded successRate declineRate refundRate }
           revenueReport(period: $period) { currency gross { amount } applicationFees { amount } refunded { amount } net { amount } paymentCount } } }`,
        { id: operator.id, period: aroundToday() },
        analyst,
      ),
    );
    expect(data.operator.paymentStats).toEqual({
      attempts: 5,
      succeeded: 3,
      declined: 2,
      refunded: 1,
      successRate: 0.6,
      declineRate: 0.4,
      refundRate: 1 / 3,
    });
    const gross = t1.amount + t2.amount + t3.amount;
    expect(data.operator.revenueReport).toEqual([
      {
        currency: 'EUR',
        gross: { amount: gross },
        applicationFees: { amount: 0 },
        refunded: { amount: 100 },
        net: { amount: gross - 100 },
        paymentCount: 3,
      },
    ]);

    // The same figures as the operator back office's own revenue view over instants.
    const backOffice = ok(
      await p.stack.query<{
        operator: { revenue: Array<{ gross: { amount: number }; refunded: { amount: number } }> };
      }>(
        `query ($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { operator(id: $id) { revenue(from: $from, to: $to) { gross { amount } refunded { amount } } } }`,
        {
          id: operator.id,
          from: new Date(Date.now() - 3_600_000).toISOString(),
          to: new Date(Date.now() + 60_000).toISOString(),
        },
        adminOf(operator.id),
      ),
    );
    expect(backOffice.operator.revenue).toEqual([{ gross: { amount: gross }, refunded: { amount: 100 } }]);
  });
});
