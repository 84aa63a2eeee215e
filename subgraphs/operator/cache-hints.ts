import { publicFor } from '../../platform/subgraph/cache-control.js';

/**
 * An operator's public details (name, country, currency, contact) change only by an admin's hand, like the station
 * catalogue they are shown in: five minutes in a CDN, a browser or the gateway's shared cache, the same as stations.
 * Fields other subgraphs add to Operator (payment account, payments) carry their own hints (none: never cached).
 */
export const OPERATOR_MAX_AGE_SECONDS = 300;

export const CATALOGUE = publicFor(OPERATOR_MAX_AGE_SECONDS);
