import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 string (the character set of Stripe's object ids). */
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** A Stripe-style object id: prefix plus 24 random characters, e.g. `pi_3Pq…`. */
export function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomToken(length)}`;
}

/** Unix seconds, the unit of every `created` and `expires_at` field. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
