import { useSyncExternalStore } from 'react';
import { TOKEN_STORAGE_KEY } from '../page-config.js';
import { browser, type BrowserStorage } from './browser.js';

/** A JWT: three base64url parts (the signature may be empty for unsigned tokens). */
const JWT_PATTERN = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;

/**
 * Finds the token in what was pasted: a bare JWT, `Bearer <jwt>`, `Authorization: Bearer <jwt>` or a whole line of
 * `npm start`'s output (`  ANALYST         eyJ…`). Returns the trimmed input when it holds no JWT (opaque tokens).
 */
export function extractToken(pasted: string): string {
  const text = pasted.trim();
  const jwt = JWT_PATTERN.exec(text);
  if (jwt) return jwt[0];
  return text.replace(/^(authorization:\s*)?bearer\s+/i, '').trim();
}

export interface TokenClaims {
  role?: string;
  sub?: string;
  operatorId?: string;
  /** Expiry, seconds since the epoch. */
  exp?: number;
}

/** The payload of a JWT, unverified (the gateway verifies it); undefined when the token is not a readable JWT. */
export function readClaims(token: string): TokenClaims | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    const claims: unknown = JSON.parse(json);
    return claims && typeof claims === 'object' ? (claims as TokenClaims) : undefined;
  } catch {
    return undefined;
  }
}

const listeners = new Set<() => void>();

function safeStorage(): BrowserStorage | undefined {
  try {
    return browser.localStorage;
  } catch {
    return undefined; // storage disabled: the token lives only in memory
  }
}

let memoryToken = safeStorage()?.getItem(TOKEN_STORAGE_KEY) ?? '';

/** The bearer token sent with every request ('' for none), kept in localStorage. */
export const tokenStore = {
  get(): string {
    return memoryToken;
  },
  set(token: string): void {
    memoryToken = token;
    const storage = safeStorage();
    if (token) storage?.setItem(TOKEN_STORAGE_KEY, token);
    else storage?.removeItem(TOKEN_STORAGE_KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab of the IDE changed the token.
browser.addEventListener('storage', (event) => {
  if (event.key !== TOKEN_STORAGE_KEY) return;
  memoryToken = event.newValue ?? '';
  for (const listener of listeners) listener();
});

export function useToken(): string {
  return useSyncExternalStore(tokenStore.subscribe, tokenStore.get);
}
