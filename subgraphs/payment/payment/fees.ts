import { roundHalfUp } from '../../../platform/money.js';

/** The platform's share of a payment, set per operator by platform admins (default: nothing). */
export interface FeePolicy {
  /** Percentage in basis points (100 = 1 %), 0–10000. */
  basisPoints: number;
  /** Fixed part in minor units of the payment's currency. */
  fixedAmount: number;
  /**
   * A refund gives back the platform's fee in proportion (Stripe's `refund_application_fee`), so a fully refunded
   * session costs the driver and the operator nothing; false keeps the whole fee.
   */
  refundApplicationFee: boolean;
}

export const ZERO_FEE: FeePolicy = Object.freeze({ basisPoints: 0, fixedAmount: 0, refundApplicationFee: true });

/**
 * `amount × basisPoints / 10000`, rounded half up to a whole minor unit, plus the fixed part; never more than the
 * amount itself. Integer arithmetic in BigInt: `amount × basisPoints` can exceed 2^53 for large amounts.
 * Works the same for zero-decimal currencies (JPY): amounts are always whole minor units.
 */
export function applicationFeeFor(amount: number, policy: Pick<FeePolicy, 'basisPoints' | 'fixedAmount'>): number {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`amount must be a non-negative integer of minor units, got ${amount}`);
  if (amount === 0) return 0;
  const proportional = roundHalfUp(BigInt(amount) * BigInt(policy.basisPoints), 10_000n);
  const fee = proportional + BigInt(policy.fixedAmount);
  return Number(fee > BigInt(amount) ? BigInt(amount) : fee);
}
