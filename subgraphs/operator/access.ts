import { isPlatform, requireOperatorAccess } from '../../platform/subgraph/auth.js';
import { forbidden } from '../../platform/errors.js';
import type { Identity } from '../../platform/identity.js';

/*
 * Who may do what with operators, in one place.
 *  - Read: operators are the public catalogue. Anyone, anonymous included, reads every operator (by id, in lists,
 *    and by key through `_entities`) with all its fields: name, country, default currency, contact e-mail, status,
 *    and the merchant details printed on its receipts (legal name, legal address, VAT id).
 *  - Register (createOperator) and change an operator's status: platform admins only (type-graphql's @Authorized).
 *  - Update an operator's details (postPaid and the merchant details included): its own admins (OPERATOR_ADMIN whose token names it) and
 *    platform admins.
 *  - DRIVER, ANALYST, PARTNER change nothing (FORBIDDEN); no token: UNAUTHENTICATED.
 * An operator's payment account, payments and revenue belong to the payment subgraph (payment/access.ts), its
 * stations and tariffs to the station subgraph (station/access.ts), its sessions to the session subgraph.
 */

/** updateOperator: this operator's admins or the platform; the status only the platform. */
export function requireUpdateOperator(identity: Identity, operatorId: string, changesStatus: boolean): void {
  requireOperatorAccess(identity, operatorId);
  if (changesStatus && !isPlatform(identity)) throw forbidden("Only platform admins change an operator's status.");
}
