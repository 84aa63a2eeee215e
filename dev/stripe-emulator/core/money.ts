/**
 * Money rules. Amounts are integers in the currency's minor unit (cents; yen for zero-decimal currencies).
 *
 * Processing fee model (one rule, deliberately simpler than Stripe's price list):
 *   fee = round(amount × 2.9 %) + 30 minor units        for two-decimal currencies
 *   fee = round(amount × 2.9 %)                         for zero-decimal currencies (no fixed part)
 */
export const FEE_PERCENT = 2.9;
export const FEE_FIXED_MINOR_UNITS = 30;

/** Stripe's zero-decimal currencies. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Approximations of Stripe's minimum charge amounts (≈ 0.50 USD), in minor units. */
const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  eur: 50,
  chf: 50,
  cad: 50,
  aud: 50,
  nzd: 50,
  sgd: 50,
  gbp: 30,
  jpy: 50,
  dkk: 250,
  nok: 300,
  sek: 300,
  pln: 200,
};

const COUNTRY_CURRENCY: Record<string, string> = {
  US: 'usd',
  GB: 'gbp',
  CH: 'chf',
  JP: 'jpy',
  CA: 'cad',
  AU: 'aud',
  NZ: 'nzd',
  SG: 'sgd',
  DK: 'dkk',
  NO: 'nok',
  SE: 'sek',
  PL: 'pln',
};
const EURO_COUNTRIES = new Set([
  'AT',
  'BE',
  'CY',
  'DE',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PT',
  'SI',
  'SK',
]);

export function isZeroDecimal(currency: string): boolean {
  return ZERO_DECIMAL.has(currency);
}

export function processingFee(amount: number, currency: string): number {
  const percentage = Math.round((amount * FEE_PERCENT) / 100);
  return isZeroDecimal(currency) ? percentage : percentage + FEE_FIXED_MINOR_UNITS;
}

export function minimumChargeAmount(currency: string): number {
  return MINIMUM_CHARGE[currency] ?? (isZeroDecimal(currency) ? 1 : 50);
}

export function defaultCurrencyFor(country: string): string {
  if (EURO_COUNTRIES.has(country)) return 'eur';
  return COUNTRY_CURRENCY[country] ?? 'usd';
}

/** Formats an amount for messages, e.g. `$12.34`-style: `12.34 EUR`, `500 JPY`. */
export function formatAmount(amount: number, currency: string): string {
  const major = isZeroDecimal(currency) ? String(amount) : (amount / 100).toFixed(2);
  return `${major} ${currency.toUpperCase()}`;
}

/**
 * Stripe's dispute fee, withdrawn with the disputed amount and kept whatever the outcome (Stripe support, "Dispute
 * fees" and "June 2025 pricing updates for disputes": the counter fee is returned on a win, the dispute fee is not).
 * USD 15.00 (US pricing); EUR 20.00 (EEA pricing since 10 April 2023, up from EUR 15.00). Other currencies: 1500
 * minor units, a stand-in for "USD 15.00 or the equivalent in local currency".
 */
const DISPUTE_FEE: Record<string, number> = { usd: 1500, eur: 2000 };

export function disputeFee(currency: string): number {
  return DISPUTE_FEE[currency] ?? 1500;
}
