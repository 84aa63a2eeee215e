import { ValidateBy, type ValidationOptions } from 'class-validator';
import validator from 'validator';
import { isCountry, isCurrency } from '../money.js';

/**
 * Control characters (NUL, escape sequences, line breaks), bidirectional overrides and isolates (the "Trojan Source"
 * trick: text that displays differently from what it is) and lone surrogates have no place in a display name or an
 * address. PostgreSQL would also refuse NUL with an internal error. Everything else, in any script, is fine.
 */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}\u202a-\u202e\u2066-\u2069]/u;

export const isDisplayText = (value: unknown): boolean => typeof value === 'string' && !UNSAFE_TEXT.test(value);

export const IsDisplayText = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isDisplayText',
      validator: {
        validate: isDisplayText,
        defaultMessage: () =>
          '$property must not contain control characters, bidirectional overrides or lone surrogates',
      },
    },
    options,
  );

/** ISO 3166-1 alpha-2, upper case (DE, FR, JP). */
export const IsCountryCode = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isCountryCode',
      validator: {
        validate: (v) => typeof v === 'string' && isCountry(v),
        defaultMessage: () => '$property must be an ISO 3166-1 alpha-2 country code such as DE',
      },
    },
    options,
  );

/** ISO 4217, upper case (EUR, JPY). */
export const IsCurrencyCode = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isCurrencyCode',
      validator: {
        validate: (v) => typeof v === 'string' && isCurrency(v),
        defaultMessage: () => '$property must be an ISO 4217 currency code such as EUR',
      },
    },
    options,
  );

/** IANA time zone known to this runtime (Europe/Berlin). */
export const IsTimeZone = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (v) => typeof v === 'string' && isTimeZone(v),
        defaultMessage: () => '$property must be an IANA time zone such as Europe/Berlin',
      },
    },
    options,
  );

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A VAT identification number with its country prefix (DE123456789, FRXX999999999, CHE-123.456.789 MWST). Where
 * `validator` knows that country's format (and check digits), it must pass them; other prefixes get the shape only.
 */
export function isVatId(value: unknown): boolean {
  if (typeof value !== 'string' || !/^[A-Z]{2}[0-9A-Z][0-9A-Z .-]{1,19}$/.test(value)) return false;
  const prefix = value.slice(0, 2);
  // EL is Greece's VAT prefix, XI Northern Ireland's, EU the one-stop shop's; all others are country codes.
  if (!isCountry(prefix) && !['EL', 'XI', 'EU'].includes(prefix)) return false;
  try {
    return validator.isVAT(value, prefix as validator.VATCountryCode);
  } catch (error) {
    // validator has no rule for this prefix ("Invalid country code"): the shape above is all we can check.
    if (error instanceof Error && error.message.startsWith('Invalid country code')) return true;
    throw error;
  }
}

export const IsVatId = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isVatId',
      validator: {
        validate: isVatId,
        defaultMessage: () =>
          '$property must be a VAT identification number with its country prefix, such as DE123456789',
      },
    },
    options,
  );
