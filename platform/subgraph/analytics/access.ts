import { canManageOperator } from '../auth.js';
import { forbidden, unauthenticated } from '../../errors.js';
import { Role, type Identity } from '../../identity.js';

/**
 * Who reads analytics (aggregates only, never rows): analysts and platform admins for every operator (and services,
 * which pass every check), an operator's admins for their own operator. Drivers and partners: FORBIDDEN; no token:
 * UNAUTHENTICATED. Built on `canManageOperator`, so it follows the platform-wide operator rule.
 */
export function requireAnalyticsAccess(identity: Identity, operatorId: string): void {
  if (!identity.role) throw unauthenticated('Sign in to read analytics.');
  if (identity.role === Role.ANALYST || canManageOperator(identity, operatorId)) return;
  if (identity.role === Role.OPERATOR_ADMIN)
    throw forbidden('Operator admins read the analytics of their own operator only.');
  throw forbidden('Analytics are for analysts, platform admins and operator admins.');
}
