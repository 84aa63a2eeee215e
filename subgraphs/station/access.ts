import { requireOperatorAccess } from '../common/auth.js';
import type { Identity } from '../common/identity.js';

/*
 * Who may do what with the catalogue (stations, their connectors, tariffs), in one place.
 *  - Read: public. Anyone, anonymous included, reads stations, connectors and tariffs (by id, searches, and by key
 *    through `_entities`), and `Operator.stations`. A station's operator is exposed only as the Operator entity.
 *  - Change (createStation, updateStation, setConnectorStatus, createTariff): that operator's admins, platform admins
 *    and services (e.g. a charger integration). Another operator's station, connector or tariff: FORBIDDEN, or
 *    NOT_FOUND where it is looked up through the caller's own station (a connector of another station).
 *  - A station only ever uses a tariff of its own operator (BAD_USER_INPUT otherwise).
 *  - DRIVER, ANALYST, PARTNER change nothing (FORBIDDEN); no token: UNAUTHENTICATED.
 * `Station.sessions` and station analytics are the session subgraph's (session/session.access.ts).
 */

/** Changing this operator's stations, connectors or tariffs. */
export function requireManageCatalogue(identity: Identity, operatorId: string): void {
  requireOperatorAccess(identity, operatorId);
}
