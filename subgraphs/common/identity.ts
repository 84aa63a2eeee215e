import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { registerEnumType } from 'type-graphql';

export enum Role {
  DRIVER = 'DRIVER',
  OPERATOR_ADMIN = 'OPERATOR_ADMIN',
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
  ANALYST = 'ANALYST',
  PARTNER = 'PARTNER',
  /** Another ChargeGraph process acting on the server's behalf (never issued to clients). */
  SERVICE = 'SERVICE',
}
registerEnumType(Role, { name: 'Role', description: 'Role of the caller, taken from the verified token.' });

/** Who is calling, as verified by the gateway (or a service identity). `role` is undefined for anonymous callers. */
export interface Identity {
  role?: Role;
  /** DRIVER: the driver id; SERVICE: the service name; others: the token subject. */
  sub?: string;
  /** OPERATOR_ADMIN: the operator it administers. */
  operatorId?: string;
}

export const ANONYMOUS: Identity = Object.freeze({});

/** Header carrying the caller's identity from the gateway (or a service) to a subgraph. */
export const IDENTITY_HEADER = 'x-chargegraph-identity';

const AUDIENCE = 'chargegraph-subgraphs';
const LIFETIME_SECONDS = 60;
/** Refused past this age whatever its `exp` says. */
const MAX_AGE_SECONDS = 2 * LIFETIME_SECONDS;

const encoder = new TextEncoder();

/** What a subgraph learns from a valid signature: who calls, and what makes this one call unique. */
export interface SignedCall {
  identity: Identity;
  /** The token's `jti`: a subgraph accepts each one once (replay-guard.ts). */
  tokenId: string;
  /** SHA-256 of the exact request body the token was signed for. */
  bodyHash: string;
  expiresAt: Date;
}

/** The body hash carried in a signature (`bh`): base64url SHA-256 of the bytes sent. */
export const hashBody = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('base64url');

/**
 * Signs an identity for one call to a subgraph: bound to that call's body and single-use (`jti`), so a captured
 * header can neither be sent again nor carry another query. Short-lived, so subgraphs remember used ids briefly.
 */
export async function signIdentity(identity: Identity, issuer: string, secret: string, body: string): Promise<string> {
  return new SignJWT({ role: identity.role, operatorId: identity.operatorId, bh: hashBody(body) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.sub ?? '')
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .sign(encoder.encode(secret));
}

/** Verifies a signed identity against every accepted secret (rotation). Throws when none matches. */
export async function verifyIdentity(token: string, secrets: string[]): Promise<SignedCall> {
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      const { payload } = await jwtVerify(token, encoder.encode(secret), {
        audience: AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iat', 'jti', 'bh'],
        maxTokenAge: `${MAX_AGE_SECONDS}s`,
      });
      if (typeof payload.bh !== 'string' || !payload.jti || !payload.exp || !payload.iat) throw new Error('malformed claims');
      const role = typeof payload.role === 'string' && Object.hasOwn(Role, payload.role) ? (payload.role as Role) : undefined;
      return {
        identity: { role, sub: payload.sub || undefined, operatorId: typeof payload.operatorId === 'string' ? payload.operatorId : undefined },
        tokenId: payload.jti,
        bodyHash: payload.bh,
        // Past this instant the token is refused anyway, so its id need not be remembered longer.
        expiresAt: new Date(Math.min(payload.exp, payload.iat + MAX_AGE_SECONDS) * 1000),
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError ?? new Error('no signing secret configured');
}

export const serviceIdentity = (serviceName: string): Identity => ({ role: Role.SERVICE, sub: serviceName });
