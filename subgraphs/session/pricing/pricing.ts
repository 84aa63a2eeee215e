import { decimalToMicros, DECIMAL_SCALE } from '../../../platform/subgraph/decimal.js';
import { lineTax, minorDigits, nonNegativeInteger, roundHalfUp, toSafeNumber } from '../../../platform/money.js';

/*
 * Pricing rule — the only place a session's price is computed (live cost and final cost alike).
 *
 *   energy   = energyWh / 1000 × energyPricePerKwh   in minor units, rounded half up
 *   time     = seconds / 3600 × timePricePerHour     in minor units, rounded half up
 *              (seconds = whole seconds elapsed since start; a started second is not billed)
 *   fee      = sessionFee                            already in minor units
 *   tax      = Σ over the three lines of (line × taxRateBasisPoints / 10000, rounded half up per line)
 *              (prices are net, tax comes on top; `lineTax` in platform/money.ts)
 *   total    = energy + time + fee + tax
 *
 * Tax is rounded per line, never on the sum, so a receipt that shows each line with its own tax adds up exactly
 * to the total charged. (Rounding the sum once could differ from the sum of the lines by a minor unit or two.)
 *
 * Prices are Decimals in major units with up to 6 fractional digits. Everything is exact integer arithmetic on
 * BigInt: a price as micro-units (10^-6 of the major unit, `decimalToMicros`), an amount in minor units of the
 * currency (`minorDigits`: EUR 2, JPY 0, KWD 3). No floating point anywhere, so the same inputs always give the
 * same cents. All quantities are non-negative, so "half up" means halves go away from zero.
 */

/** The parts of a tariff that set a session's price. */
export interface PricingTariff {
  currency: string;
  /** Net price per kWh, Decimal in major units ("0.349"). */
  energyPricePerKwh: string;
  /** Net price per hour connected, Decimal in major units ("1.2"). */
  timePricePerHour: string;
  /** Net flat fee per session, integer minor units. */
  sessionFeeAmount: number;
  /** Tax rate in 1/100 of a percent: 1900 = 19 %. */
  taxRateBasisPoints: number;
}

/** What was consumed: energy in Wh and billable duration in whole seconds. */
export interface Consumption {
  energyWh: number;
  seconds: number;
}

/** A priced session, every amount in integer minor units of the tariff's currency. */
export interface PriceBreakdown {
  energy: number;
  time: number;
  sessionFee: number;
  tax: number;
  total: number;
}

const MICROS_PER_MAJOR = 10n ** BigInt(DECIMAL_SCALE);
const WH_PER_KWH = 1000n;
const SECONDS_PER_HOUR = 3600n;

/** quantity / unitsPerPriceUnit × price, converted to minor units of the currency and rounded half up. */
function amountInMinorUnits(quantity: number, unitsPerPriceUnit: bigint, price: string, currency: string): bigint {
  const minorPerMajor = 10n ** BigInt(minorDigits(currency));
  return roundHalfUp(BigInt(quantity) * decimalToMicros(price) * minorPerMajor, unitsPerPriceUnit * MICROS_PER_MAJOR);
}

/** Energy cost in minor units: energyWh / 1000 × price per kWh. */
export const energyAmount = (energyWh: number, energyPricePerKwh: string, currency: string): bigint =>
  amountInMinorUnits(nonNegativeInteger(energyWh, 'energyWh'), WH_PER_KWH, energyPricePerKwh, currency);

/** Time cost in minor units: seconds / 3600 × price per hour. */
export const timeAmount = (seconds: number, timePricePerHour: string, currency: string): bigint =>
  amountInMinorUnits(nonNegativeInteger(seconds, 'seconds'), SECONDS_PER_HOUR, timePricePerHour, currency);

/** Tax in minor units on one net line (rounded half up on that line). */
export const taxAmount = (net: bigint, taxRateBasisPoints: number): bigint =>
  BigInt(lineTax(toSafeNumber(net), nonNegativeInteger(taxRateBasisPoints, 'taxRateBasisPoints')));

/** Whole seconds from start to end; never negative (a clock that went backwards bills nothing). */
export function billableSeconds(startedAt: Date, endedAt: Date): number {
  return Math.max(0, Math.floor((endedAt.getTime() - startedAt.getTime()) / 1000));
}

/** The price of a session under the rule above. */
export function priceSession(tariff: PricingTariff, { energyWh, seconds }: Consumption): PriceBreakdown {
  const energy = energyAmount(energyWh, tariff.energyPricePerKwh, tariff.currency);
  const time = timeAmount(seconds, tariff.timePricePerHour, tariff.currency);
  const sessionFee = BigInt(nonNegativeInteger(tariff.sessionFeeAmount, 'sessionFeeAmount'));
  const subtotal = energy + time + sessionFee;
  const tax =
    taxAmount(energy, tariff.taxRateBasisPoints) +
    taxAmount(time, tariff.taxRateBasisPoints) +
    taxAmount(sessionFee, tariff.taxRateBasisPoints);
  return {
    energy: toSafeNumber(energy),
    time: toSafeNumber(time),
    sessionFee: toSafeNumber(sessionFee),
    tax: toSafeNumber(tax),
    total: toSafeNumber(subtotal + tax),
  };
}
