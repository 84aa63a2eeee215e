import { Directive, Field, Int, ObjectType } from 'type-graphql';

// Stripe's own minor-unit table: these currencies have no or three minor digits regardless of ISO 4217.
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** ISO 4217 code in upper case, e.g. EUR. */
export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

/** ISO 3166-1 alpha-2 country code in upper case, e.g. DE. */
export function isCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && regionNames.of(code) !== undefined;
}

/** How many minor digits an amount in this currency has (EUR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** numerator / denominator rounded half up (halves go away from zero), for a non-negative numerator. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n)
    throw new RangeError('roundHalfUp takes a non-negative numerator and a positive denominator');
  const quotient = numerator / denominator;
  return 2n * (numerator % denominator) >= denominator ? quotient + 1n : quotient;
}

const BASIS_POINTS = 10_000n;

/**
 * The tax of one priced line: net × rate / 10000, rounded half up on that line alone. Session prices and receipts
 * both use it, so a receipt's lines add up exactly to the price charged (tax is never rounded on a sum).
 */
export function lineTax(net: number, taxRateBasisPoints: number): number {
  if (!Number.isSafeInteger(net) || net < 0) throw new RangeError(`net must be a non-negative integer, got ${net}`);
  if (!Number.isSafeInteger(taxRateBasisPoints) || taxRateBasisPoints < 0)
    throw new RangeError(`taxRateBasisPoints must be a non-negative integer, got ${taxRateBasisPoints}`);
  return Number(roundHalfUp(BigInt(net) * BigInt(taxRateBasisPoints), BASIS_POINTS));
}

/** An amount of money: integer minor units (cents, yen) and its ISO 4217 currency. */
@ObjectType({
  description: 'An amount of money in integer minor units (e.g. cents; yen have none) of an ISO 4217 currency.',
})
@Directive('@shareable')
// As cacheable as the field holding it (a tariff's fee, a session's cost): see platform/subgraph/cache-control.ts.
@Directive('@cacheControl(inheritMaxAge: true)')
export class Money {
  @Field(() => Int, { description: 'Integer amount in the minor unit of the currency.' })
  amount!: number;

  @Field(() => String, { description: 'ISO 4217 currency code, upper case.' })
  currency!: string;

  static of(amount: number, currency: string): Money {
    if (!Number.isSafeInteger(amount))
      throw new RangeError(`money amount must be an integer of minor units, got ${amount}`);
    return Object.assign(new Money(), { amount, currency: currency.toUpperCase() });
  }
}
