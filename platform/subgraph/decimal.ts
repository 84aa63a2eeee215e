import { GraphQLScalarType, Kind } from 'graphql';

const DECIMAL = /^(0|[1-9]\d{0,11})(\.\d{1,6})?$/;
export const DECIMAL_SCALE = 6;

/** Non-negative decimal with up to 6 fractional digits, as a string so no precision is lost ("0.349"). */
export const Decimal = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'A non-negative decimal number with up to 6 fractional digits, written as a string, e.g. "0.349".',
  serialize: (value) => normalizeDecimal(String(value)),
  parseValue: (value) => parseDecimal(value),
  parseLiteral: (ast) =>
    parseDecimal(ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? ast.value : undefined),
});

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw new TypeError(
      'Decimal must be a non-negative number written as a string with at most 6 decimals, e.g. "0.349".',
    );
  }
  return normalizeDecimal(value);
}

/** Drops trailing zeros ("0.3490" → "0.349", "5.000" → "5"); PostgreSQL numeric comes back padded. */
export function normalizeDecimal(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

/** The decimal as an exact integer count of 10^-6 units: "0.349" → 349000n. */
export function decimalToMicros(value: string): bigint {
  const [whole, fraction = ''] = value.split('.');
  return BigInt(whole) * 10n ** BigInt(DECIMAL_SCALE) + BigInt(fraction.padEnd(DECIMAL_SCALE, '0'));
}
