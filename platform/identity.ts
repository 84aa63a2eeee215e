import { createHash, randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';

export enum Role {
  DRIVER = 'DRIVER',
  OPERATOR_ADMIN = 'OPERATOR_ADMIN',
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
  ANALYST = 'ANALYST',
  PARTNER = 'PARTNER',
  /** Another ChargeGraph process acting on the server's behalf (never issued to clients). */
  SERVICE = 'SERVICE',
}

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
 * Signs identities for calls to subgraphs, each bound to that call's body and single-use (`jti`), so a captured
 * header can neither be sent again nor carry another query. Short-lived, so subgraphs remember used ids briefly.
 * fast-jwt, not jose: signing and verifying are synchronous node:crypto HMACs (≈ 5 µs against jose's ≈ 120 µs of
 * WebCrypto promises), and this runs once per subgraph call on both sides.
 */
export class IdentitySigner {
  private readonly signer: (payload: Record<string, unknown>) => string;

  constructor(issuer: string, secret: string) {
    this.signer = createSigner({
      key: secret,
      algorithm: 'HS256',
      iss: issuer,
      aud: AUDIENCE,
      expiresIn: LIFETIME_SECONDS * 1000,
    });
  }

  sign(identity: Identity, body: string): string {
    return this.signer({
      role: identity.role,
      operatorId: identity.operatorId,
      sub: identity.sub ?? '',
      bh: hashBody(body),
      jti: randomUUID(),
    });
  }
}

/** One-off signing (tests, tools); processes keep an IdentitySigner. */
export const signIdentity = (identity: Identity, issuer: string, secret: string, body: string): string =>
  new IdentitySigner(issuer, secret).sign(identity, body);

interface IdentityClaims {
  role?: unknown;
  operatorId?: unknown;
  sub?: string;
  bh: string;
  jti: string;
  iat: number;
  exp: number;
}

/** Verifies signed identities against every accepted secret (rotation: the first signs, all verify). */
export class IdentityVerifier {
  private readonly verifiers: Array<(token: string) => IdentityClaims>;

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('no signing secret configured');
    this.verifiers = secrets.map((key) =>
      createVerifier({
        key,
        algorithms: ['HS256'],
        allowedAud: AUDIENCE,
        requiredClaims: ['exp', 'iat', 'jti', 'bh'],
        maxAge: MAX_AGE_SECONDS * 1000,
        cache: false,
      }),
    );
  }

  /** Throws when no secret verifies the token or a claim is missing or malformed. */
  verify(token: string): SignedCall {
    let lastError: unknown;
    for (const verify of this.verifiers) {
      let claims: IdentityClaims;
      try {
        claims = verify(token);
      } catch (error) {
        lastError = error;
        continue;
      }
      if (
        typeof claims.bh !== 'string' ||
        typeof claims.jti !== 'string' ||
        typeof claims.iat !== 'number' ||
        typeof claims.exp !== 'number'
      )
        throw new Error('malformed claims');
      const role =
        typeof claims.role === 'string' && Object.hasOwn(Role, claims.role) ? (claims.role as Role) : undefined;
      return {
        identity: {
          role,
          sub: claims.sub || undefined,
          operatorId: typeof claims.operatorId === 'string' ? claims.operatorId : undefined,
        },
        tokenId: claims.jti,
        bodyHash: claims.bh,
        // Past this instant the token is refused anyway, so its id need not be remembered longer.
        expiresAt: new Date(Math.min(claims.exp, claims.iat + MAX_AGE_SECONDS) * 1000),
      };
    }
    throw lastError;
  }
}

export const serviceIdentity = (serviceName: string): Identity => ({ role: Role.SERVICE, sub: serviceName });
