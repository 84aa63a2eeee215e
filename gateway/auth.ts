import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Config } from '../platform/config.js';
import { ANONYMOUS, Role, type Identity } from '../platform/identity.js';

export type TokenVerifier = (authorization: string | undefined) => Promise<Identity>;

/** How long a verified token's identity is reused without verifying again (never past the token's expiry). */
const VERIFIED_FOR_MS = 30_000;

/**
 * Verifies the caller's bearer JWT: HS256 with JWT_SECRET by default, or keys from JWT_JWKS_URL in production.
 * No header → anonymous (public catalogue only); a header that does not verify → 401, never silently anonymous.
 * A token that verified is remembered for 30 s (or until it expires, if sooner): apps send the same token with
 * every request, and verifying it is the gateway's largest fixed cost per request. Failures are not remembered.
 */
export function createTokenVerifier(
  config: Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey = config.JWT_JWKS_URL
    ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL))
    : new TextEncoder().encode(config.JWT_SECRET);
  const options = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    algorithms: config.JWT_JWKS_URL ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
  };

  const verified = new LRUCache<string, Identity>({ max: 10_000, ttl: VERIFIED_FOR_MS });

  return async (authorization) => {
    if (!authorization) return ANONYMOUS;
    const known = verified.get(authorization);
    if (known) return known;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    let payload: JWTPayload;
    try {
      ({ payload } = await (typeof key === 'function'
        ? jwtVerify(match[1], key, options)
        : jwtVerify(match[1], key, options)));
    } catch {
      throw unauthenticated('The token is invalid or has expired.');
    }
    const identity = Object.freeze(identityFromClaims(payload));
    const ttl =
      payload.exp === undefined ? VERIFIED_FOR_MS : Math.min(VERIFIED_FOR_MS, payload.exp * 1000 - Date.now());
    if (ttl > 0) verified.set(authorization, identity, { ttl });
    return identity;
  };
}

/** Subjects become driver ids and log fields: printable, bounded. */
const VALID_SUBJECT = /^[^\p{Cc}\p{Cf}]{1,200}$/u;

function identityFromClaims(payload: JWTPayload): Identity {
  const role = payload.role;
  // SERVICE is never granted to a client token: it is minted only between our own processes.
  // Object.hasOwn, not `in`: "toString" or "constructor" are not roles.
  if (typeof role !== 'string' || !Object.hasOwn(Role, role) || role === Role.SERVICE)
    throw unauthenticated('The token carries no valid role.');
  const operatorId = typeof payload.operatorId === 'string' ? payload.operatorId : undefined;
  if (role === Role.OPERATOR_ADMIN && !operatorId)
    throw unauthenticated('An OPERATOR_ADMIN token must carry an operatorId claim.');
  if (!payload.sub || !VALID_SUBJECT.test(payload.sub))
    throw unauthenticated('The token carries no valid subject (1–200 printable characters).');
  return { role: role as Role, sub: payload.sub, operatorId };
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
