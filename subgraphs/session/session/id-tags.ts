import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const INTERNAL = /^CG[0-9A-Z]{18}$/;

/**
 * The idTag an app start hands the charger: "CG" + 18 random characters (36^18 ≈ 2^93), 20 in all (OCPP 1.6's
 * CiString20). It is never shown to clients; a charger presenting it proves it got our remote start.
 */
export function newInternalIdTag(): string {
  let tag = 'CG';
  for (let i = 0; i < 18; i++) tag += ALPHABET[randomInt(ALPHABET.length)];
  return tag;
}

/** Drivers cannot link tags of that shape (they would pose as an app start). */
export const isInternalIdTag = (idTag: string): boolean => INTERNAL.test(idTag);
