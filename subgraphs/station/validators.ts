import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Control characters (NUL, escape sequences, line breaks), bidirectional overrides and isolates (the "Trojan Source"
 * trick: text that displays differently from what it is) and lone surrogates have no place in a display name or an
 * address. PostgreSQL would also refuse NUL with an internal error. Everything else, in any script, is fine.
 * (Same rule in the operator and station subgraphs; a candidate for common/validators.ts.)
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
