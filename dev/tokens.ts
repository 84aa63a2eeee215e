import { SignJWT } from 'jose';
import { Role } from '../platform/identity.js';

export interface TokenClaims {
  role: Exclude<Role, Role.SERVICE>;
  sub: string;
  operatorId?: string;
}

/** A development token signed with the gateway's JWT_SECRET (HS256); production tokens come from an identity provider. */
export function signDevToken(claims: TokenClaims, secret: string, lifetime = '12h'): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.operatorId ? { operatorId: claims.operatorId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(new TextEncoder().encode(secret));
}

export const CLIENT_ROLES = Object.values(Role).filter((r): r is TokenClaims['role'] => r !== Role.SERVICE);
