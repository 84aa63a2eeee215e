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
import { applyIntent, openAttempt, raiseAuthorization, settleAtZero } from '../payment/payment.transitions.js';
import type { ProviderIntent } from '../stripe/provider.js';
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
      for (const status of order) applyIntent(p, intent(status));
      expect(p.status).toBe(S.SUCCEEDED);
      expect(p.amount).toBe(1234);
      expect(p.applicationFeeAmount).toBe(31);
    }
  });

  it('ignores intents of another attempt or another payment', () => {
    const p = payment(S.PENDING, 2);
    expect(applyIntent(p, intent(S.SUCCEEDED, { attempt: 1 }))).toBe(false);
    expect(applyIntent(p, intent(S.SUCCEEDED, { attempt: 2, paymentId: 'other' }))).toBe(false);
    const bound = payment(S.AUTHORIZED, 2, 'pi_new');
    expect(applyIntent(bound, intent(S.CANCELED, { id: 'pi_superseded_hold' }))).toBe(false);
    expect(bound.status).toBe(S.AUTHORIZED);
  });

  it('records why an attempt failed', () => {
    const p = payment(S.PENDING);
    expect(applyIntent(p, intent(S.FAILED))).toBe(true);
    expect(p).toMatchObject({ status: S.FAILED, failureCode: 'insufficient_funds' });
  });

  it('settles a zero-priced session without a charge', () => {
    const p = payment(S.AUTHORIZED, 1, 'pi_1');
    settleAtZero(p);
    expect(p).toMatchObject({ status: S.SUCCEEDED, amount: 0, applicationFeeAmount: 0 });
    expect(() => settleAtZero(payment(S.FAILED))).toThrow();
  });

  it('raises an open hold only upwards, and never once it is priced or no longer authorised', () => {
    const p = Object.assign(payment(S.AUTHORIZED, 1, 'pi_1'), { authorizedAmount: 5000 });
    expect(raiseAuthorization(p, 8000)).toBe(true);
    expect(raiseAuthorization(p, 6000)).toBe(false);
    expect(p.authorizedAmount).toBe(8000);
    // A webhook (amount_capturable_updated) after a lost increment answer raises it too.
    expect(applyIntent(p, intent(S.AUTHORIZED, { amountCapturable: 9000 }))).toBe(true);
    expect(p.authorizedAmount).toBe(9000);
    const priced = Object.assign(payment(S.AUTHORIZED, 1, 'pi_1'), { authorizedAmount: 5000, amount: 4000 });
    expect(raiseAuthorization(priced, 8000)).toBe(false);
    const captured = Object.assign(payment(S.SUCCEEDED, 1, 'pi_1'), { authorizedAmount: 5000 });
    expect(raiseAuthorization(captured, 8000)).toBe(false);
  });

  it('moves disputes forward only', () => {
    expect(nextDisputeStatus(null, DisputeStatus.OPEN)).toBe(DisputeStatus.OPEN);
    expect(nextDisputeStatus(DisputeStatus.OPEN, DisputeStatus.WON)).toBe(DisputeStatus.WON);
    expect(nextDisputeStatus(DisputeStatus.LOST, DisputeStatus.OPEN)).toBe(DisputeStatus.LOST); // late "created"
    expect(nextDisputeStatus(null, DisputeStatus.LOST)).toBe(DisputeStatus.LOST); // "closed" first
  });
});
