import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/*
 * Charge point passwords are machine secrets we generate (32 characters of 62, ≈ 190 bits), not something a person
 * chose, so a fast salted HMAC-SHA256 suffices: nothing to brute-force, and 5,000 chargers can log in at once.
 * Letters and digits only: valid in OCPP 1.6 and 2.0.1 (passwordString) and in every charger's configuration UI.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const PASSWORD_LENGTH = 32;

export interface PasswordHash {
  salt: string;
  hash: string;
}

export function newPassword(): string {
  let password = '';
  for (let i = 0; i < PASSWORD_LENGTH; i++) password += ALPHABET[randomInt(ALPHABET.length)];
  return password;
}

const hmac = (salt: string, password: string): Buffer =>
  createHmac('sha256', Buffer.from(salt, 'hex')).update(password, 'utf8').digest();

export function hashPassword(password: string): PasswordHash {
  const salt = randomBytes(16).toString('hex');
  return { salt, hash: hmac(salt, password).toString('hex') };
}

/** Constant-time comparison; without a stored hash it still computes one, so unknown ids take as long as known ones. */
export function verifyPassword(password: string, stored: PasswordHash | undefined): boolean {
  const computed = hmac(stored?.salt ?? '00'.repeat(16), password);
  if (!stored) return false;
  const expected = Buffer.from(stored.hash, 'hex');
  return expected.length === computed.length && timingSafeEqual(expected, computed);
}
