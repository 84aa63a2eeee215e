import { describe, expect, it } from 'vitest';
import { Payment } from '../payment/payment.entity.js';
import {
  AttemptKind,
  canStartNewAttempt,
  canTransition,
  DisputeStatus,
  nextDisputeStatus,
  PaymentStatus,
} from '../payment/payment.status.js';
import {
  applyIntent,
  applySettlement,
  fixAmount,
  markCanceled,
  openAttempt,
  raiseAuthorization,
  recordUnbillable,
  settleAtZero,
} from '../payment/payment.transitions.js';
import { Books, balancesOf } from '../ledger/books.js';
import { LedgerEntryKind as K } from '../ledger/ledger-entry.entity.js';
import { Refund, RefundReason, RefundStatus } from '../refund/refund.entity.js';
import { applyProviderRefund, recountRefunded, requestRefund } from '../refund/refund.transitions.js';
import type { ProviderCharge, ProviderRefund } from '../provider/payment-provider.js';
import type { ProviderIntent } from '../provider/payment-provider.js';
import { applicationFeeFor } from '../payment/fees.js';

/* Pure domain rules: fee policy arithmetic and the payment state machine (no database, no provider). */
describe('application fee', () => {
  it.each([
    // amount, basisPoints, fixed, fee
    [10_000, 0, 0, 0], // default policy: nothing
    [10_000, 250, 0, 250], // 2.5 % of 100.00
    [1_234, 250, 0, 31], // 30.85 → 31 (half up)
    [1_000, 5, 0, 1], // 0.5 → 1 (exactly half rounds up)
    [999, 5, 0, 0], // 0.4995 → 0
    [1_234, 250, 30, 61], // percentage + fixed
    [20, 0, 30, 20], // capped at the amount
    [100, 10_000, 50, 100], // 100 % + fixed, capped
    [0, 500, 30, 0], // nothing charged, nothing taken
    [3_456, 333, 0, 115], // JPY: 115.08 yen → 115, whole yen only
    [99_999_999, 10_000, 0, 99_999_999],
  ])('%i minor units at %i bp + %i → %i', (amount, basisPoints, fixedAmount, fee) => {
    expect(applicationFeeFor(amount, { basisPoints, fixedAmount })).toBe(fee);
  });

  it('stays exact where floats would not (amount × bp beyond 2^53)', () => {
    const amount = Number.MAX_SAFE_INTEGER; // 9007199254740991
    expect(applicationFeeFor(amount, { basisPoints: 3, fixedAmount: 0 })).toBe(2_702_159_776_422); // .2973 → down
  });

  it('rejects amounts that are not integer minor units', () => {
    expect(() => applicationFeeFor(12.5, { basisPoints: 100, fixedAmount: 0 })).toThrow(RangeError);
    expect(() => applicationFeeFor(-1, { basisPoints: 100, fixedAmount: 0 })).toThrow(RangeError);
  });
});

const S = PaymentStatus;

function payment(status: PaymentStatus, attempt = 1, paymentIntentId: string | null = null): Payment {
  return Object.assign(new Payment(), {
    id: 'p1',
    status,
    attempt,
    paymentIntentId,
    currency: 'EUR',
    kind: AttemptKind.HOLD,
    refundedAmount: 0,
  });
}

const intent = (status: PaymentStatus, extra: Partial<ProviderIntent> = {}): ProviderIntent => ({
  id: 'pi_1',
  status,
  amount: 5000,
  amountReceived: status === S.SUCCEEDED ? 1234 : 0,
  amountCapturable: status === S.AUTHORIZED ? 5000 : 0,
  applicationFeeAmount: status === S.SUCCEEDED ? 31 : null,
  currency: 'EUR',
  clientSecret: null,
  latestChargeId: null,
  paymentId: 'p1',
  attempt: 1,
  failureCode: status === S.FAILED ? 'insufficient_funds' : null,
  failureMessage: null,
  ...extra,
});

describe('payment state machine', () => {
  it.each([
    [S.PENDING, S.AUTHORIZED, true],
    [S.PENDING, S.REQUIRES_ACTION, true],
    [S.REQUIRES_ACTION, S.AUTHORIZED, true],
    [S.AUTHORIZED, S.SUCCEEDED, true],
    [S.AUTHORIZED, S.CANCELED, true],
    [S.SUCCEEDED, S.SUCCEEDED, true], // a replay changes nothing
    [S.SUCCEEDED, S.AUTHORIZED, false], // a late amount_capturable_updated
    [S.SUCCEEDED, S.CANCELED, false], // a late cancel of a hold settled at zero
    [S.SUCCEEDED, S.FAILED, false],
    [S.AUTHORIZED, S.PENDING, false],
    [S.AUTHORIZED, S.REQUIRES_ACTION, false],
    [S.CANCELED, S.SUCCEEDED, false],
    [S.FAILED, S.AUTHORIZED, false],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('opens a new attempt only after FAILED or CANCELED', () => {
    expect(Object.values(S).filter(canStartNewAttempt)).toEqual([S.FAILED, S.CANCELED]);
    const failed = payment(S.FAILED, 1, 'pi_old');
    openAttempt(
      failed,
      {
        kind: AttemptKind.CHARGE,
        providerAccountId: 'acct_1',
        currency: 'EUR',
        authorizedAmount: null,
        amount: 1234,
        applicationFeeAmount: 0,
        card: null,
      },
      true,
      Books.detached(),
    );
    expect(failed).toMatchObject({ status: S.PENDING, attempt: 2, paymentIntentId: null, kind: AttemptKind.CHARGE });
    expect(() =>
      openAttempt(
        payment(S.AUTHORIZED),
        {
          kind: AttemptKind.CHARGE,
          providerAccountId: 'a',
          currency: 'EUR',
          authorizedAmount: null,
          amount: 1,
          applicationFeeAmount: 0,
          card: null,
        },
        true,
        Books.detached(),
      ),
    ).toThrow();
  });

  it('converges whatever the order of intent updates', () => {
    const orders = [
      [S.AUTHORIZED, S.SUCCEEDED],
      [S.SUCCEEDED, S.AUTHORIZED],
      [S.REQUIRES_ACTION, S.SUCCEEDED, S.AUTHORIZED, S.REQUIRES_ACTION],
    ];
    for (const order of orders) {
      const p = payment(S.PENDING);
      for (const status of order) applyIntent(p, intent(status), Books.detached());
      expect(p.status).toBe(S.SUCCEEDED);
      expect(p.amount).toBe(1234);
      expect(p.applicationFeeAmount).toBe(31);
    }
  });

  it('ignores intents of another attempt or another payment', () => {
    const p = payment(S.PENDING, 2);
    expect(applyIntent(p, intent(S.SUCCEEDED, { attempt: 1 }), Books.detached())).toBe(false);
    expect(applyIntent(p, intent(S.SUCCEEDED, { attempt: 2, paymentId: 'other' }), Books.detached())).toBe(false);
    const bound = payment(S.AUTHORIZED, 2, 'pi_new');
    expect(applyIntent(bound, intent(S.CANCELED, { id: 'pi_superseded_hold' }), Books.detached())).toBe(false);
    expect(bound.status).toBe(S.AUTHORIZED);
  });

  it('records why an attempt failed', () => {
    const p = payment(S.PENDING);
    expect(applyIntent(p, intent(S.FAILED), Books.detached())).toBe(true);
    expect(p).toMatchObject({ status: S.FAILED, failureCode: 'insufficient_funds' });
  });

  it('settles a zero-priced session without a charge', () => {
    const p = payment(S.AUTHORIZED, 1, 'pi_1');
    settleAtZero(p, Books.detached());
    expect(p).toMatchObject({ status: S.SUCCEEDED, amount: 0, applicationFeeAmount: 0 });
    expect(() => settleAtZero(payment(S.FAILED), Books.detached())).toThrow();
  });

  it('raises an open hold only upwards, and never once it is priced or no longer authorised', () => {
    const p = Object.assign(payment(S.AUTHORIZED, 1, 'pi_1'), { authorizedAmount: 5000 });
    expect(raiseAuthorization(p, 8000, Books.detached())).toBe(true);
    expect(raiseAuthorization(p, 6000, Books.detached())).toBe(false);
    expect(p.authorizedAmount).toBe(8000);
    // A webhook (amount_capturable_updated) after a lost increment answer raises it too.
    expect(applyIntent(p, intent(S.AUTHORIZED, { amountCapturable: 9000 }), Books.detached())).toBe(true);
    expect(p.authorizedAmount).toBe(9000);
    const priced = Object.assign(payment(S.AUTHORIZED, 1, 'pi_1'), { authorizedAmount: 5000, amount: 4000 });
    expect(raiseAuthorization(priced, 8000, Books.detached())).toBe(false);
    const captured = Object.assign(payment(S.SUCCEEDED, 1, 'pi_1'), { authorizedAmount: 5000 });
    expect(raiseAuthorization(captured, 8000, Books.detached())).toBe(false);
  });

  it('moves disputes forward only', () => {
    expect(nextDisputeStatus(null, DisputeStatus.OPEN)).toBe(DisputeStatus.OPEN);
    expect(nextDisputeStatus(DisputeStatus.OPEN, DisputeStatus.WON)).toBe(DisputeStatus.WON);
    expect(nextDisputeStatus(DisputeStatus.LOST, DisputeStatus.OPEN)).toBe(DisputeStatus.LOST); // late "created"
    expect(nextDisputeStatus(null, DisputeStatus.LOST)).toBe(DisputeStatus.LOST); // "closed" first
  });
});

describe('the ledger: each transition books what it did', () => {
  const kinds = (books: Books) => books.entries().map((e) => [e.kind, e.amount]);
  const charge = (extra: Partial<ProviderCharge> = {}): ProviderCharge => ({
    id: 'ch_1',
    paymentIntentId: 'pi_1',
    currency: 'EUR',
    amountCaptured: 4000,
    amountRefunded: 0,
    disputed: false,
    balanceTransactionId: 'txn_charge',
    providerFee: 83,
    applicationFeeAmount: 100,
    applicationFeeRefunded: 0,
    ...extra,
  });

  it('a hold: opened, placed, raised, amount fixed with the uncollected rest, captured with its fees, released rest', () => {
    const books = Books.detached();
    const p = Object.assign(payment(S.PENDING), { id: 'p1', sessionId: 's1', operatorId: 'o1' });
    openAttempt(
      p,
      {
        kind: AttemptKind.HOLD,
        providerAccountId: 'acct_1',
        currency: 'EUR',
        authorizedAmount: 5000,
        amount: null,
        applicationFeeAmount: null,
        card: null,
      },
      false,
      books,
    );
    applyIntent(p, intent(S.AUTHORIZED, { amountCapturable: 5000 }), books);
    raiseAuthorization(p, 6000, books);
    fixAmount(p, { amount: 6000, applicationFeeAmount: 100, uncollected: 250 }, books);
    applyIntent(p, intent(S.SUCCEEDED, { amountReceived: 4000, applicationFeeAmount: 100 }), books);
    expect(applySettlement(p, charge(), books)).toBe(true);
    expect(applySettlement(p, charge(), books)).toBe(false); // a replay books nothing twice
    expect(kinds(books)).toEqual([
      [K.ATTEMPT_OPENED, 5000],
      [K.HOLD_PLACED, 5000],
      [K.HOLD_INCREMENTED, 1000],
      [K.AMOUNT_FIXED, 6000],
      [K.UNCOLLECTED, 250],
      [K.HOLD_RELEASED, 2000],
      [K.CAPTURED, 4000],
      [K.APPLICATION_FEE_TAKEN, 100],
      [K.PROVIDER_FEE, 83],
    ]);
    expect(books.entries().every((e) => e.currency === 'EUR' && e.paymentId === 'p1' && e.attempt === 1)).toBe(true);
    expect(balancesOf(books.entries()).get('EUR')).toEqual({ operator: 4000 - 100 - 83, platform: 100 });
    expect(p.providerFeeAmount).toBe(83);
  });

  it('3-D Secure, a zero-priced session and an unbillable one book what they are', () => {
    const books = Books.detached();
    const p = payment(S.PENDING);
    applyIntent(p, intent(S.REQUIRES_ACTION, { amount: 5000 }), books);
    applyIntent(p, intent(S.AUTHORIZED, { amountCapturable: 5000 }), books);
    Object.assign(p, { authorizedAmount: 5000 });
    settleAtZero(p, books);
    expect(kinds(books)).toEqual([
      [K.ACTION_REQUIRED, 5000],
      [K.HOLD_PLACED, 5000],
      [K.HOLD_RELEASED, 5000],
    ]);
    const unbillable = Books.detached();
    const row = payment(S.PENDING);
    recordUnbillable(row, 1234, 'payment_method_required', unbillable);
    expect(row).toMatchObject({ attempt: 0, amount: 1234, status: S.FAILED, needsAttention: true });
    expect(unbillable.entries().map((e) => [e.kind, e.amount, e.attempt, e.code])).toEqual([
      [K.FAILED, 1234, 0, 'payment_method_required'],
    ]);
    expect(() => recordUnbillable(payment(S.AUTHORIZED, 1, 'pi_1'), 1, 'x', Books.detached())).toThrow();
  });

  it('a failure and a cancel book the code and what was held', () => {
    const failed = Books.detached();
    applyIntent(payment(S.PENDING), intent(S.FAILED), failed);
    expect(failed.entries().map((e) => [e.kind, e.code])).toEqual([[K.FAILED, 'insufficient_funds']]);
    const canceled = Books.detached();
    markCanceled(Object.assign(payment(S.AUTHORIZED, 1, 'pi_1'), { authorizedAmount: 5000 }), canceled);
    expect(kinds(canceled)).toEqual([[K.HOLD_RELEASED, 5000]]);
  });

  it('a refund: requested, debited, succeeded, then failed gives the money back; the fee given back is booked once', () => {
    const books = Books.detached();
    const p = Object.assign(payment(S.SUCCEEDED, 1, 'pi_1'), { amount: 4000, applicationFeeAmount: 100 });
    const refund = requestRefund(
      p,
      { amount: 1000, reason: RefundReason.REQUESTED_BY_CUSTOMER, refundApplicationFee: true },
      books,
    );
    const provider = (extra: Partial<ProviderRefund>): ProviderRefund => ({
      id: 're_1',
      status: RefundStatus.SUCCEEDED,
      amount: 1000,
      chargeId: 'ch_1',
      paymentIntentId: 'pi_1',
      failureReason: null,
      refundId: refund.id,
      transactionId: 'txn_refund',
      failureTransactionId: null,
      ...extra,
    });
    applyProviderRefund(p, refund, provider({}), books);
    applyProviderRefund(p, refund, provider({}), books); // replayed event
    recountRefunded(p, [refund], charge({ amountRefunded: 1000, applicationFeeRefunded: 25 }), books);
    recountRefunded(p, [refund], charge({ amountRefunded: 1000, applicationFeeRefunded: 25 }), books);
    expect(p).toMatchObject({ refundedAmount: 1000, applicationFeeRefundedAmount: 25 });
    const failure = provider({
      status: RefundStatus.FAILED,
      failureReason: 'expired_or_canceled_card',
      failureTransactionId: 'txn_refund_failure',
    });
    applyProviderRefund(p, refund, failure, books);
    applyProviderRefund(p, refund, provider({}), books); // a late "succeeded" read changes nothing
    recountRefunded(p, [refund], charge({ amountRefunded: 0, applicationFeeRefunded: 25 }), books);
    expect(refund.status).toBe(RefundStatus.FAILED);
    expect(p.refundedAmount).toBe(0);
    expect(kinds(books)).toEqual([
      [K.REFUND_REQUESTED, 1000],
      [K.REFUND_DEBITED, 1000],
      [K.REFUND_SUCCEEDED, 1000],
      [K.APPLICATION_FEE_REFUNDED, 25],
      [K.REFUND_FAILED, 1000],
    ]);
    // Debit and credit cancel out; the fee given back stays given back (as at the provider).
    expect(balancesOf(books.entries()).get('EUR')).toEqual({ operator: 25, platform: -25 });
  });

  it('a refund the provider never debited and then failed moves no money', () => {
    const books = Books.detached();
    const p = Object.assign(payment(S.SUCCEEDED, 1, 'pi_1'), { amount: 4000 });
    const refund = Object.assign(new Refund(), { payment: p, amount: 500, currency: 'EUR' });
    applyProviderRefund(
      p,
      refund,
      {
        id: 're_2',
        status: RefundStatus.FAILED,
        amount: 500,
        chargeId: 'ch_1',
        paymentIntentId: 'pi_1',
        failureReason: 'declined',
        refundId: refund.id,
        transactionId: null,
        failureTransactionId: null,
      },
      books,
    );
    expect(kinds(books)).toEqual([[K.REFUND_CANCELED, 500]]);
    expect(balancesOf(books.entries()).get('EUR')).toEqual({ operator: 0, platform: 0 });
  });
});
