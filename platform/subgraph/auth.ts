import type { AuthChecker } from 'type-graphql';
import type { RequestContext } from './context.js';
import { Role, type Identity } from '../identity.js';
import { forbidden, unauthenticated } from '../errors.js';

/**
 * type-graphql's `@Authorized(...roles)`: the caller must hold one of the roles (any signed-in role when none given).
 * SERVICE is trusted for everything it is allowed to reach; PLATFORM_ADMIN passes every role check.
 */
export const authChecker: AuthChecker<RequestContext, Role> = ({ context }, roles) => {
  const { role } = context.identity;
  if (!role) throw unauthenticated();
  if (roles.length === 0 || role === Role.PLATFORM_ADMIN || role === Role.SERVICE || roles.includes(role)) return true;
  throw forbidden();
};

export const isPlatform = (identity: Identity) =>
  identity.role === Role.PLATFORM_ADMIN || identity.role === Role.SERVICE;

/** May this caller manage (change, see private data of) this operator? */
export const canManageOperator = (identity: Identity, operatorId: string) =>
  isPlatform(identity) || (identity.role === Role.OPERATOR_ADMIN && identity.operatorId === operatorId);

export function requireOperatorAccess(identity: Identity, operatorId: string): void {
  if (!identity.role) throw unauthenticated();
  if (!canManageOperator(identity, operatorId)) throw forbidden("Only this operator's admins may do this.");
}
