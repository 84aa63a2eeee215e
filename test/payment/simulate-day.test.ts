import { describe, expect, inject, it } from 'vitest';
import { formatReport, runSimulatedDay } from '../../bench/simulate-day/run.js';

/*
 * The simulated day of `npm run simulate:day` at 500 sessions (the benchmark runs 10 000): the same code, the whole
 * platform through the gateway against the Stripe emulator. Every scenario happens at least once (the plan starts
 * with one of each), and at the close of the day the books balance to the cent.
 */
describe('a simulated day of 500 sessions', () => {
  it('balances every operator, the platform and every session to the cent', { timeout: 900_000 }, async () => {
    const report = await runSimulatedDay({
      operators: 20,
      sessions: 500,
      concurrency: 16,
      seed: 13,
      databaseUrl: inject('databaseUrl'),
    });
    console.log(formatReport(report)); // the figures, as `npm run simulate:day` prints them
    expect(report.problems).toEqual([]);
    expect(report.books.unbilledSessions).toEqual([]);
    expect(report.books.operators).toHaveLength(20);
    expect(new Set(report.books.operators.map((o) => o.currency))).toEqual(new Set(['EUR', 'GBP', 'CHF', 'JPY']));
    for (const operator of report.books.operators) {
      expect(operator.difference).toBe(0);
      expect(operator.ledger).toBe(operator.provider);
    }
    for (const platform of report.books.platform) expect(platform.difference).toBe(0);
    // Reconciliation with the provider matched every money movement of every operator, one by one.
    expect(report.books.reconciliation).toHaveLength(20);
    for (const r of report.books.reconciliation) expect(r).toMatchObject({ status: 'BALANCED', differences: 0 });
    expect(report.books.reconciliation.reduce((n, r) => n + r.matched, 0)).toBeGreaterThan(500);
    expect(report.books.platform.some((p) => p.ledger > 0)).toBe(true); // fees were kept

    // The unhappy paths really happened.
    const { counts } = report.books;
    expect(report.outcomes.DECLINED).toBeGreaterThan(0);
    expect(counts.sessions.CANCELLED).toBeGreaterThan(0); // 3-D Secure abandoned
    expect(counts.refunds.FAILED).toBeGreaterThan(0); // the refund test card that fails later
    expect(counts.disputes.WON).toBeGreaterThan(0);
    expect(counts.disputes.LOST).toBeGreaterThan(0);
    expect(report.books.operators.some((o) => o.disputesLost > 0)).toBe(true);
    expect(report.refundsSettledLater).toBeGreaterThanOrEqual(2);
    expect(Object.values(report.providerFaultAnswers).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(report.replays.sent).toBeGreaterThan(0);
    expect(report.replays.failed).toBe(0);
    expect(counts.sessions.COMPLETED).toBe(counts.payments.SUCCEEDED);
  });
});
