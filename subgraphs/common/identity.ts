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

const encoder = new TextEncoder();

/** Signs an identity for one hop to a subgraph. Short-lived, so a captured header is of little use. */
export async function signIdentity(identity: Identity, issuer: string, secret: string): Promise<string> {
  return new SignJWT({ role: identity.role, operatorId: identity.operatorId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.sub ?? '')
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .sign(encoder.encode(secret));
}

/** Verifies a signed identity against every accepted secret (rotation). Throws when none matches. */
export async function verifyIdentity(token: string, secrets: string[]): Promise<Identity> {
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      const { payload } = await jwtVerify(token, encoder.encode(secret), { audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'iat'], maxTokenAge: '2m' });
      const role = typeof payload.role === 'string' && Object.hasOwn(Role, payload.role) ? (payload.role as Role) : undefined;
      return {
        role,
        sub: payload.sub || undefined,
        operatorId: typeof payload.operatorId === 'string' ? payload.operatorId : undefined,
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError ?? new Error('no signing secret configured');
}

export const serviceIdentity = (serviceName: string): Identity => ({ role: Role.SERVICE, sub: serviceName });
