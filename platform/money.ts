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

/*
 * The integer helpers every money path uses: one rounding rule, one integer check, one bigint → number conversion.
 */

/** numerator / denominator rounded half up, for a non-negative numerator and a positive denominator. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n)
    throw new RangeError('roundHalfUp takes a non-negative numerator and a positive denominator');
  const quotient = numerator / denominator;
  return 2n * (numerator % denominator) >= denominator ? quotient + 1n : quotient;
}

/** `amount × basisPoints / 10000`, rounded half up (in bigint: the product can exceed 2^53). */
export const basisPointsOf = (amount: number, basisPoints: number): number =>
  toSafeNumber(
    roundHalfUp(
      BigInt(nonNegativeInteger(amount, 'amount')) * BigInt(nonNegativeInteger(basisPoints, 'basisPoints')),
      10_000n,
    ),
  );

/** `part / whole` of `amount`, rounded half up: e.g. the share of a fee that a partial refund gives back. */
export function proportionOf(amount: number, part: number, whole: number): number {
  if (nonNegativeInteger(whole, 'whole') === 0) return 0;
  return toSafeNumber(
    roundHalfUp(BigInt(nonNegativeInteger(amount, 'amount')) * BigInt(nonNegativeInteger(part, 'part')), BigInt(whole)),
  );
}

/** True for a whole, non-negative number of minor units that JavaScript represents exactly. */
export const isMinorUnits = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;

/** The value when it is a non-negative safe integer; a RangeError naming it otherwise. */
export function nonNegativeInteger(value: number, name: string): number {
  if (!isMinorUnits(value)) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** A bigint as a number, or a RangeError when it would lose precision. */
export function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    throw new RangeError(`integer ${value} exceeds the safe range`);
  return Number(value);
}

/** `sum()`/`count()` come back from PostgreSQL as bigint strings: exact integers or an error, never a float. */
export const exactInteger = (value: string | number | bigint | null | undefined): number =>
  value == null ? 0 : toSafeNumber(BigInt(value));

/**
 * The tax of one priced line: net × rate / 10000, rounded half up on that line alone. Session prices and receipts
 * both use it, so a receipt's lines add up exactly to the price charged (tax is never rounded on a sum).
 */
export const lineTax = (net: number, taxRateBasisPoints: number): number =>
  basisPointsOf(nonNegativeInteger(net, 'net'), nonNegativeInteger(taxRateBasisPoints, 'taxRateBasisPoints'));

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
