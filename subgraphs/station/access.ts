import { canManageOperator, requireOperatorAccess } from '../../platform/subgraph/auth.js';
import { forbidden } from '../../platform/errors.js';
import { Role, type Identity } from '../../platform/identity.js';

/*
 * Who may do what with the catalogue (stations, their connectors, tariffs, charge points), in one place.
 *  - Read: public. Anyone, anonymous included, reads stations, connectors and tariffs (by id, searches, and by key
 *    through `_entities`), and `Operator.stations`. A station's operator is exposed only as the Operator entity.
 *  - Change (createStation, updateStation, setConnectorStatus, createTariff, registerChargePoint,
 *    rotateChargePointPassword, removeChargePoint): that operator's admins, platform admins and services. Another
 *    operator's station, connector, tariff or charge point: FORBIDDEN, or NOT_FOUND where it is looked up through
 *    the caller's own station (a connector of another station).
 *  - A station only ever uses a tariff of its own operator (BAD_USER_INPUT otherwise).
 *  - `Station.chargePoints` (ids, connection state, firmware) is the operator's: null for anyone else.
 *  - Service-only operations (chargePointLogin, reportChargePointPresence, reportConnectorStatus,
 *    markConnectorSession; @inaccessible, not in the public API): Role.SERVICE only, FORBIDDEN for everyone else.
 *    A charge point acts only through the OCPP process, only on its own station's connectors (looked up by its id).
 *  - DRIVER, ANALYST, PARTNER change nothing (FORBIDDEN); no token: UNAUTHENTICATED.
 * `Station.sessions` and station analytics are the session subgraph's (session/access.ts).
 */

/** Changing this operator's stations, connectors, tariffs or charge points. */
export function requireManageCatalogue(identity: Identity, operatorId: string): void {
  requireOperatorAccess(identity, operatorId);
}

/** Seeing this operator's charge points. */
export const canSeeChargePoints = (identity: Identity, operatorId: string): boolean =>
  canManageOperator(identity, operatorId);

/** Operations only another ChargeGraph process calls (the OCPP process, the session subgraph). */
export function requireService(identity: Identity): void {
  if (identity.role !== Role.SERVICE) throw forbidden('Only ChargeGraph services may do this.');
}
