import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balancesOf } from '../ledger/books.js';
import { LedgerEntry, LedgerEntryKind as K } from '../ledger/ledger-entry.entity.js';
import { Dispute } from '../dispute/dispute.entity.js';
import { Refund } from '../refund/refund.entity.js';
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
  reasonOf,
  refund,
  session,
  startHarness,
  type Harness,
} from './harness.js';

/*
 * The ledger against the provider: after every step, the money the entries say moved on the operator's account and
 * on the platform's is what the emulator's balances say, to the cent. Entries are never updated or deleted.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.destroy());

const entriesOf = (paymentId: string) =>
  h.subgraph.orm.em.fork().find(LedgerEntry, { paymentId }, { orderBy: { occurredAt: 'asc', id: 'asc' } });
const kindsOf = async (paymentId: string) => (await entriesOf(paymentId)).map((e) => [e.kind, e.amount]);
const operatorMoney = async (paymentId: string) => balancesOf(await entriesOf(paymentId)).get('EUR')?.operator ?? 0;
const platformMoney = async (paymentId: string) => balancesOf(await entriesOf(paymentId)).get('EUR')?.platform ?? 0;
const balance = (account: string) => h.emulator.balanceOf(account, 'eur').available;
const refundRow = (id: string) => h.subgraph.orm.em.fork().findOneOrFail(Refund, { id });

describe('the payment ledger', () => {
  it('books a held, captured, refunded and refund-failed payment exactly as the provider balances move', async () => {
    const operator = await onboardedOperator(h, { basisPoints: 250, fixedAmount: 30 });
    const driver = newDriver();
    const card = await driverWithCard(h, driver, 'pm_card_refundFail');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id, preAuthorization: 5000 });
    const platformBefore = balance('platform');
    const held = dataOf(await authorize(h, driver, s.id, card)).authorizeChargingSession;
    expect(held.status).toBe('AUTHORIZED');
    complete(s, 4000);
    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(paid.status).toBe('SUCCEEDED');
    await h.emulator.flushWebhooks();

    const fee = 130; // 2.5 % of 40.00 + 0.30
    const row = await paymentRow(h, s.id);
    expect(row).toMatchObject({ amount: 4000, applicationFeeAmount: fee });
    const providerFee = row!.providerFeeAmount!;
    expect(providerFee).toBeGreaterThan(0);
    expect(await kindsOf(paid.id)).toEqual([
      [K.ATTEMPT_OPENED, 5000],
      [K.HOLD_PLACED, 5000],
      [K.AMOUNT_FIXED, 4000],
      [K.HOLD_RELEASED, 1000],
      [K.CAPTURED, 4000],
      [K.APPLICATION_FEE_TAKEN, fee],
      [K.PROVIDER_FEE, providerFee],
    ]);
    expect(await operatorMoney(paid.id)).toBe(balance(operator.account));
    expect(await operatorMoney(paid.id)).toBe(4000 - fee - providerFee);
    expect(await platformMoney(paid.id)).toBe(balance('platform') - platformBefore);
    const captured = (await entriesOf(paid.id)).find((e) => e.kind === K.CAPTURED)!;
    expect(captured.providerTransactionId).toMatch(/^txn_/);

    // A partial refund gives the fee back in proportion (the default policy), then fails at the issuer.
    const admin = adminOf(operator.id);
    const partial = dataOf(await refund(h, admin, paid.id, 1000)).refundPayment;
    expect(partial.status).toBe('SUCCEEDED');
    await h.emulator.flushWebhooks();
    expect(await operatorMoney(paid.id)).toBe(balance(operator.account));
    expect(await platformMoney(paid.id)).toBe(balance('platform') - platformBefore);
    const feeBack = (await entriesOf(paid.id)).find((e) => e.kind === K.APPLICATION_FEE_REFUNDED)!.amount;
    expect(feeBack).toBe(33); // 130 × 1000 / 4000 = 32.5 → 33

    h.emulator.settleRefund(operator.account, (await refundRow(partial.id)).providerRefundId!);
    await h.emulator.flushWebhooks();
    await h.emulator.flushWebhooks(); // replays change nothing
    const kinds = (await kindsOf(paid.id)).slice(7);
    expect(kinds).toEqual([
      [K.REFUND_REQUESTED, 1000],
      [K.REFUND_DEBITED, 1000],
      [K.REFUND_SUCCEEDED, 1000],
      [K.APPLICATION_FEE_REFUNDED, 33],
      [K.REFUND_FAILED, 1000],
    ]);
    expect(await operatorMoney(paid.id)).toBe(balance(operator.account));
    expect(await platformMoney(paid.id)).toBe(balance('platform') - platformBefore);
    expect(await paymentRow(h, s.id)).toMatchObject({ refundedAmount: 0, applicationFeeRefundedAmount: 33 });

    // The operator's admin reads the books; the driver does not.
    const query = `query ($id: ID!) { _entities(representations: [{ __typename: "Payment", id: $id }]) {
      ... on Payment { ledger { kind amount { amount currency } code attempt } } } }`;
    const books = dataOf(
      await h.subgraph.run<{ _entities: Array<{ ledger: unknown[] }> }>(query, { id: paid.id }, admin),
    );
    expect(books._entities[0].ledger).toHaveLength(12);
    expect(books._entities[0].ledger[4]).toEqual({
      kind: 'CAPTURED',
      amount: { amount: 4000, currency: 'EUR' },
      code: null,
      attempt: 1,
    });
    const asDriver = dataOf(
      await h.subgraph.run<{ _entities: Array<{ ledger: unknown[] }> }>(query, { id: paid.id }, driver),
    );
    expect(asDriver._entities[0].ledger).toEqual([]);
  });

  it('keeps the entries of a declined first hold whose payment row is gone', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const card = await driverWithCard(h, driver, 'pm_card_chargeDeclined');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    await authorize(h, driver, s.id, card);
    expect(await paymentRow(h, s.id)).toBeNull();
    const entries = await h.subgraph.orm.em
      .fork()
      .find(LedgerEntry, { sessionId: s.id }, { orderBy: { occurredAt: 'asc' } });
    expect(entries.map((e) => [e.kind, e.amount, e.code])).toEqual([
      [K.ATTEMPT_OPENED, 5000, 'HOLD'],
      [K.FAILED, 5000, 'generic_decline'],
    ]);
  });

  it('is append-only: the database refuses to update or delete an entry', async () => {
    const [entry] = await h.subgraph.orm.em.fork().find(LedgerEntry, {}, { limit: 1 });
    const em = h.subgraph.orm.em.fork();
    await expect(em.execute('update ledger_entry set amount = amount + 1 where id = ?', [entry.id])).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(em.execute('delete from ledger_entry where id = ?', [entry.id])).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    expect((await h.subgraph.orm.em.fork().findOneOrFail(LedgerEntry, { id: entry.id })).amount).toBe(entry.amount);
  });
});

describe('disputes that finish', () => {
  const disputeOf = (paymentId: string) =>
    h.subgraph.orm.em.fork().findOneOrFail(Dispute, { payment: paymentId }, { populate: ['payment'] });

  /** A 2000 EUR cents session charged with Stripe's dispute test card: the dispute opens on capture. */
  async function disputed() {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    await driverWithCard(h, driver, 'pm_card_createDispute');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s, 2000);
    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(paid.status).toBe('SUCCEEDED');
    await h.emulator.flushWebhooks(); // charge.dispute.created, charge.dispute.funds_withdrawn
    return { operator, admin: adminOf(operator.id), paid, sessionId: s.id };
  }

  it('opens with amount, reason and due date, withdraws the money and the fee; lost, the money stays out', async () => {
    const { operator, admin, paid, sessionId } = await disputed();
    const dispute = await disputeOf(paid.id);
    expect(dispute).toMatchObject({
      status: 'OPEN',
      amount: 2000,
      reason: 'fraudulent',
      fundsWithdrawn: 2000,
      fee: 2000,
    });
    const due = dispute.evidenceDueBy!.getTime() - Date.now();
    expect(due).toBeGreaterThan(6 * 86_400_000);
    expect(due).toBeLessThan(8 * 86_400_000);
    expect((await kindsOf(paid.id)).slice(-3)).toEqual([
      [K.DISPUTE_OPENED, 2000],
      [K.DISPUTE_FUNDS_WITHDRAWN, 2000],
      [K.PROVIDER_FEE, 2000],
    ]);
    expect(await operatorMoney(paid.id)).toBe(balance(operator.account));
    expect(reasonOf(await refund(h, admin, paid.id, 100))).toBe('PAYMENT_NOT_REFUNDABLE');

    h.emulator.closeDispute(operator.account, dispute.providerDisputeId, 'lost');
    await h.emulator.flushWebhooks();
    expect(await disputeOf(paid.id)).toMatchObject({ status: 'LOST', fundsReinstated: 0 });
    expect((await kindsOf(paid.id)).at(-1)).toEqual([K.DISPUTE_LOST, 2000]);
    expect(await operatorMoney(paid.id)).toBe(balance(operator.account));
    expect(await paymentRow(h, sessionId)).toMatchObject({ disputeStatus: 'LOST' });

    const query = `query ($id: ID!) { _entities(representations: [{ __typename: "Payment", id: $id }]) {
      ... on Payment { disputeStatus disputes { status reason amount { amount currency } fundsWithdrawn { amount }
        fundsReinstated { amount } fee { amount } } } } }`;
    type View = { _entities: Array<{ disputeStatus: string; disputes: unknown[] }> };
    expect(dataOf(await h.subgraph.run<View>(query, { id: paid.id }, admin))._entities[0]).toEqual({
      disputeStatus: 'LOST',
      disputes: [
        {
          status: 'LOST',
          reason: 'fraudulent',
          amount: { amount: 2000, currency: 'EUR' },
          fundsWithdrawn: { amount: 2000 },
          fundsReinstated: { amount: 0 },
          fee: { amount: 2000 },
        },
      ],
    });
  });

  it('won with its closing events lost: the sweeper re-reads it, the money comes back (the fee does not)', async () => {
    const { operator, paid } = await disputed();
    const dispute = await disputeOf(paid.id);
    h.emulator.setWebhookUrl(undefined); // funds_reinstated and closed never arrive
    try {
      h.emulator.closeDispute(operator.account, dispute.providerDisputeId, 'won');
    } finally {
      h.emulator.setWebhookUrl(h.webhookUrl);
    }
    expect((await disputeOf(paid.id)).status).toBe('OPEN');
    const report = await h.services.sweeper.runOnce({ disputeRecheckAfterMs: 0 });
    expect(report.disputes?.settled).toBeGreaterThanOrEqual(1);
    expect(await disputeOf(paid.id)).toMatchObject({ status: 'WON', fundsWithdrawn: 2000, fundsReinstated: 2000 });
    expect((await kindsOf(paid.id)).slice(-2)).toEqual([
      [K.DISPUTE_FUNDS_REINSTATED, 2000],
      [K.DISPUTE_WON, 2000],
    ]);
    expect(await operatorMoney(paid.id)).toBe(balance(operator.account));
    await h.services.sweeper.runOnce({ disputeRecheckAfterMs: 0 }); // a closed dispute is not looked at again
    expect((await kindsOf(paid.id)).filter(([kind]) => kind === K.DISPUTE_FUNDS_REINSTATED)).toHaveLength(1);
  });
});
