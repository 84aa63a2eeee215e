import { basisPointsOf, nonNegativeInteger } from '../../../platform/money.js';

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
 * amount itself (integer arithmetic: platform/money.ts).
 * Works the same for zero-decimal currencies (JPY): amounts are always whole minor units.
 */
export function applicationFeeFor(amount: number, policy: Pick<FeePolicy, 'basisPoints' | 'fixedAmount'>): number {
  if (nonNegativeInteger(amount, 'amount') === 0) return 0;
  return Math.min(amount, basisPointsOf(amount, policy.basisPoints) + policy.fixedAmount);
}
