import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMetrics } from '../../../platform/metrics.js';
import { newId } from '../../../platform/ids.js';
import { LedgerEntry, LedgerEntryKind as K } from '../ledger/ledger-entry.entity.js';
import { Refund } from '../refund/refund.entity.js';
import type { ReconciliationRun } from '../reconciliation/reconciliation.entity.js';
import { matchBooks, type BookedEntry } from '../reconciliation/reconciliation.match.js';
import { previousDay, ReconciliationService } from '../reconciliation/reconciliation.service.js';
import { loadPaymentConfig } from '../config.js';
import type { ProviderBalanceTransaction } from '../provider/payment-provider.js';
import {
  adminOf,
  authorize,
  charge,
  complete,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  platformAdmin,
  reasonOf,
  refund,
  session,
  startHarness,
  type Harness,
} from './harness.js';

/*
 * Reconciliation against the emulator: a clean day of holds, charges, refunds (partial, failed), disputes (won, lost)
 * and application fees matches one by one; differences planted on either side are reported with their kind, amount,
 * balance transaction and payment.
 */

let h: Harness;
let stripe: Stripe;
beforeAll(async () => {
  h = await startHarness();
  stripe = new Stripe('sk_test_emulator', { ...h.emulator.clientOptions, maxNetworkRetries: 0 });
});
afterAll(() => h?.destroy());

const utc = (at: Date) => at.toISOString().slice(0, 10);
const today = { from: utc(new Date()), to: utc(new Date(Date.now() + 86_400_000)) };

const RECONCILIATION = 'status matched differences { kind amount { amount currency } providerId paymentId }';
interface View {
  status: string;
  matched: number;
  differences: Array<{
    kind: string;
    amount: { amount: number; currency: string };
    providerId: string | null;
    paymentId: string | null;
  }>;
}

const reconcile = async (operatorId: string, period = today) =>
  dataOf(
    await h.subgraph.run<{ reconcileOperator: View }>(
      `mutation ($id: ID!, $period: AnalyticsPeriod!) { reconcileOperator(operatorId: $id, period: $period) { ${RECONCILIATION} } }`,
      { id: operatorId, period },
      platformAdmin,
    ),
  ).reconcileOperator;

const readField = (operatorId: string, who = adminOf(operatorId), period = today) =>
  h.subgraph.run<{ _entities: Array<{ reconciliation: View | null }> }>(
    `query ($id: ID!, $period: AnalyticsPeriod!) { _entities(representations: [{ __typename: "Operator", id: $id }]) {
      ... on Operator { reconciliation(period: $period) { ${RECONCILIATION} } } } }`,
    { id: operatorId, period },
    who,
  );

const chargeTxnOf = async (paymentId: string) =>
  (await h.subgraph.orm.em.fork().findOneOrFail(LedgerEntry, { paymentId, kind: { $in: [K.CAPTURED, K.CHARGED] } }))
    .providerTransactionId!;

/** A completed session of `total` paid with `card` (a hold then a capture when `held`, else a direct charge). */
async function paid(operatorId: string, card: string, total: number, held = false) {
  const driver = newDriver();
  const saved = await driverWithCard(h, driver, card);
  const s = session(h, { driverId: driver.sub!, operatorId, preAuthorization: 5000 });
  if (held) expect(dataOf(await authorize(h, driver, s.id, saved)).authorizeChargingSession.status).toBe('AUTHORIZED');
  complete(s, total);
  const payment = dataOf(await charge(h, driver, s.id)).chargeSession;
  expect(payment.status).toBe('SUCCEEDED');
  await h.emulator.flushWebhooks();
  return payment;
}

describe('reconciliation with the provider', () => {
  it('matches a clean day one by one: holds, charges, refunds partial and failed, disputes won and lost, fees', async () => {
    const operator = await onboardedOperator(h, { basisPoints: 250, fixedAmount: 30 });
    const admin = adminOf(operator.id);
    const held = await paid(operator.id, 'pm_card_visa', 4000, true); // charge + platform fee
    dataOf(await refund(h, admin, held.id, 1000)); // refund + fee refund (connected and platform)
    await h.emulator.flushWebhooks();
    const failing = await paid(operator.id, 'pm_card_refundFail', 3000); // charge + platform fee
    const failed = dataOf(await refund(h, admin, failing.id, 3000)).refundPayment; // refund + fee refund × 2
    await h.emulator.flushWebhooks();
    const providerRefund = (await h.subgraph.orm.em.fork().findOneOrFail(Refund, { id: failed.id })).providerRefundId!;
    h.emulator.settleRefund(operator.account, providerRefund); // refund_failure
    await h.emulator.flushWebhooks();
    await paid(operator.id, 'pm_card_createDispute', 2000); // charge + fee + withdrawal
    await paid(operator.id, 'pm_card_createDispute', 2500); // charge + fee + withdrawal + reinstatement
    const [wonDispute, lostDispute] = h.emulator.disputesOf(operator.account);
    h.emulator.closeDispute(operator.account, lostDispute.id, 'lost');
    h.emulator.closeDispute(operator.account, wonDispute.id, 'won');
    await h.emulator.flushWebhooks();
    const connected = await stripe.balanceTransactions.list({ limit: 100 }, { stripeAccount: operator.account });
    expect(connected.data.map((t) => t.type).sort()).toEqual([
      ...Array<string>(3).fill('adjustment'),
      ...Array<string>(2).fill('application_fee_refund'),
      ...Array<string>(4).fill('charge'),
      ...Array<string>(2).fill('refund'),
      'refund_failure',
    ]);

    const run = await reconcile(operator.id);
    expect(run.differences).toEqual([]);
    expect(run.status).toBe('BALANCED');
    // 12 on the connected account + 4 application fees and 2 fee refunds on the platform.
    expect(run.matched).toBe(18);

    // The operator's admin reads the latest run; another operator's admin may not.
    expect(dataOf(await readField(operator.id))._entities[0].reconciliation).toEqual(run);
    expect(reasonOf(await readField(operator.id, adminOf(newId())))).toBe('FORBIDDEN');
  });

  it('balances a zero-decimal currency (JPY) with fees and a refund', async () => {
    const operator = await onboardedOperator(h, { country: 'JP', basisPoints: 300 });
    const driver = newDriver();
    const card = await driverWithCard(h, driver, 'pm_card_visa');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id, currency: 'JPY', preAuthorization: 5000 });
    expect(dataOf(await authorize(h, driver, s.id, card)).authorizeChargingSession.status).toBe('AUTHORIZED');
    complete(s, 1500);
    const payment = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(payment.amount).toEqual({ amount: 1500, currency: 'JPY' });
    dataOf(await refund(h, adminOf(operator.id), payment.id, 500));
    await h.emulator.flushWebhooks();
    // charge, refund, fee refund (connected); fee, fee refund (platform)
    expect(await reconcile(operator.id)).toEqual({ status: 'BALANCED', matched: 5, differences: [] });
  });

  it('reports a refund made behind our back, a fee the provider changed and entries it never saw, precisely', async () => {
    const operator = await onboardedOperator(h);
    const first = await paid(operator.id, 'pm_card_visa', 3000);
    const second = await paid(operator.id, 'pm_card_visa', 2000);
    expect((await reconcile(operator.id)).status).toBe('BALANCED');

    // Webhooks off: a refund made directly at the provider never reaches our ledger.
    h.emulator.setWebhookUrl(undefined);
    const chargeId = (
      await h.subgraph.orm.em.fork().findOneOrFail(LedgerEntry, { paymentId: first.id, kind: K.CHARGED })
    ).providerObjectId!;
    const outside = await stripe.refunds.create({ charge: chargeId, amount: 700 }, { stripeAccount: operator.account });
    h.emulator.setWebhookUrl(h.webhookUrl);
    // The provider charged 11 more than it reported on the second charge.
    const secondTxn = await chargeTxnOf(second.id);
    h.emulator.adjustBalanceTransactionFee(operator.account, secondTxn, 11);
    // Our side: a capture booked twice under one balance transaction, and a refund debit the provider never made.
    const em = h.subgraph.orm.em.fork();
    const base = (await em.findOneOrFail(LedgerEntry, { paymentId: second.id, kind: K.CHARGED }))!;
    const plant = (kind: K, amount: number, txn: string) =>
      em.execute(
        `insert into ledger_entry (id, payment_id, session_id, operator_id, attempt, kind, amount, currency, provider_account_id, provider_object_id, provider_transaction_id, occurred_at)
         values (?, ?, ?, ?, 1, ?, ?, 'EUR', ?, ?, ?, now())`,
        [
          newId(),
          base.paymentId,
          base.sessionId,
          base.operatorId,
          kind,
          amount,
          operator.account,
          base.providerObjectId,
          txn,
        ],
      );
    await plant(K.CAPTURED, 2000, secondTxn);
    await plant(K.REFUND_DEBITED, 450, 'txn_never_at_the_provider');

    const differencesBefore = await counted('MISSING_HERE');
    const run = await reconcile(operator.id);
    expect(run.status).toBe('UNBALANCED');
    expect(run.differences).toEqual([
      {
        kind: 'AMOUNT_DIFFERS',
        amount: { amount: -2000, currency: 'EUR' },
        providerId: secondTxn,
        paymentId: second.id,
      },
      { kind: 'FEE_DIFFERS', amount: { amount: 11, currency: 'EUR' }, providerId: secondTxn, paymentId: second.id },
      {
        kind: 'MISSING_AT_PROVIDER',
        amount: { amount: -450, currency: 'EUR' },
        providerId: 'txn_never_at_the_provider',
        paymentId: second.id,
      },
      {
        kind: 'MISSING_HERE',
        amount: { amount: -700, currency: 'EUR' },
        providerId: String(outside.balance_transaction),
        paymentId: first.id,
      },
    ]);
    expect(run.matched).toBe(1); // the first charge; the second differs
    expect(await counted('MISSING_HERE')).toBe(differencesBefore + 1);
    expect(dataOf(await readField(operator.id))._entities[0].reconciliation).toEqual(run);
  });

  it('queues a run for a period that has none, and the job stores it', async () => {
    const operator = await onboardedOperator(h);
    await paid(operator.id, 'pm_card_visa', 1500);
    const queued = dataOf(await readField(operator.id))._entities[0].reconciliation;
    expect(queued).toEqual({ status: 'QUEUED', matched: 0, differences: [] });
    const run = await waitForRun(operator.id);
    expect(run).toMatchObject({ status: 'BALANCED', matched: 1 });
    expect(ReconciliationService.JOB).toBe('payment-reconcile');
  });

  it('redoes a run made before its period was over once it is old, and shows the old one meanwhile', async () => {
    const operator = await onboardedOperator(h);
    await paid(operator.id, 'pm_card_visa', 1100);
    const first = await reconcile(operator.id);
    expect(first).toMatchObject({ status: 'BALANCED', matched: 1 });
    await paid(operator.id, 'pm_card_visa', 1300);
    // Still fresh: shown as it is, not redone.
    expect(dataOf(await readField(operator.id))._entities[0].reconciliation).toEqual(first);
    await h.subgraph.orm.em
      .fork()
      .execute(`update reconciliation_run set finished_at = now() - interval '1 hour' where operator_id = ?`, [
        operator.id,
      ]);
    expect(dataOf(await readField(operator.id))._entities[0].reconciliation).toEqual(first);
    expect(await waitForRun(operator.id, (run) => run.matched === 2)).toMatchObject({ status: 'BALANCED' });
  });

  it('stores a FAILED run when the provider cannot be read, and the next run succeeds', async () => {
    const operator = await onboardedOperator(h);
    await paid(operator.id, 'pm_card_visa', 1200);
    for (let i = 0; i < 3; i += 1) h.emulator.faults.injectNext('http500', { pathPrefix: '/v1/balance_transactions' });
    const failed = await reconcile(operator.id);
    expect(failed).toEqual({ status: 'FAILED', matched: 0, differences: [] });
    h.emulator.faults.clear();
    expect(await reconcile(operator.id)).toMatchObject({ status: 'BALANCED', matched: 1 });
  });

  it('the nightly job without an operator queues one run per operator', async () => {
    const operator = await onboardedOperator(h);
    await paid(operator.id, 'pm_card_visa', 900);
    await h.services.jobs.send(ReconciliationService.JOB, today);
    expect(await waitForRun(operator.id)).toMatchObject({ status: 'BALANCED', matched: 1 });
  });

  it('runs nightly at 02:30 UTC for the previous day unless switched off', () => {
    expect(loadPaymentConfig({}).reconciliation.cron).toBe('30 2 * * *');
    expect(loadPaymentConfig({ RECONCILIATION_CRON: 'off' }).reconciliation.cron).toBeNull();
    expect(() => loadPaymentConfig({ RECONCILIATION_CRON: 'nightly' })).toThrow(/RECONCILIATION_CRON/);
    expect(previousDay(new Date('2026-03-01T02:30:00Z'))).toEqual({ from: '2026-02-28', to: '2026-03-01' });
  });

  it('refuses drivers and periods longer than a month', async () => {
    const operator = await onboardedOperator(h);
    expect(reasonOf(await readField(operator.id, newDriver()))).toBe('FORBIDDEN');
    expect(reasonOf(await readField(operator.id, adminOf(operator.id), { from: '2026-01-01', to: '2026-03-01' }))).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('the matching rules', () => {
  const day = { from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z') };
  const nextDay = { from: day.to, to: new Date('2026-11-04T00:00:00Z') };
  const txn = (over: Partial<ProviderBalanceTransaction>): ProviderBalanceTransaction => ({
    id: 'txn_1',
    kind: 'CHARGE',
    providerType: 'charge',
    amount: 1000,
    fee: 59,
    providerFee: 59,
    applicationFee: 0,
    net: 941,
    currency: 'EUR',
    sourceId: 'ch_1',
    chargeId: 'ch_1',
    feeAccountId: null,
    feeRefundedTotal: null,
    created: new Date('2026-11-02T23:59:50Z'),
    ...over,
  });
  const entry = (kind: K, amount: number, over: Partial<BookedEntry> = {}): BookedEntry => ({
    id: newId(),
    paymentId: 'p1',
    kind,
    amount,
    currency: 'EUR',
    providerTransactionId: 'txn_1',
    providerObjectId: 'ch_1',
    occurredAt: new Date('2026-11-03T00:00:05Z'),
    ...over,
  });
  const booked = [entry(K.CHARGED, 1000), entry(K.PROVIDER_FEE, 59)];

  it('counts money moved before midnight and booked after it once, in the period the provider moved it', () => {
    expect(matchBooks({ period: day, connected: [txn({})], platform: [], entries: booked })).toEqual({
      matched: 1,
      differences: [],
    });
    expect(matchBooks({ period: nextDay, connected: [txn({})], platform: [], entries: booked })).toEqual({
      matched: 0,
      differences: [],
    });
  });

  it('reports a currency that differs, and leaves payouts to the provider', () => {
    const payout = txn({ id: 'txn_po', kind: 'OTHER', providerType: 'payout', amount: -941, fee: 0, chargeId: null });
    const result = matchBooks({
      period: day,
      connected: [txn({ currency: 'GBP' }), payout],
      platform: [],
      entries: booked,
    });
    expect(result.matched).toBe(0);
    expect(result.differences).toEqual([
      expect.objectContaining({
        kind: 'AMOUNT_DIFFERS',
        amount: 0,
        currency: 'GBP',
        providerId: 'txn_1',
        paymentId: 'p1',
      }),
    ]);
  });
});

async function counted(kind: string): Promise<number> {
  const metric = processMetrics().registry.getSingleMetric('chargegraph_reconciliation_differences_total');
  const values = metric ? (await metric.get()).values : [];
  return values.filter((v) => v.labels.kind === kind).reduce((sum, v) => sum + v.value, 0);
}

/** The queued job runs on the harness's job worker (polling every 0.5 s): wait for its row. */
async function waitForRun(operatorId: string, done: (run: ReconciliationRun) => boolean = () => true) {
  for (let i = 0; i < 100; i += 1) {
    const run = await h.services.reconciliation.latest(operatorId, today);
    if (run && done(run)) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no reconciliation run was stored');
}
