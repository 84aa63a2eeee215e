import { publicFor } from '../../platform/subgraph/cache-control.js';

/**
 * Stations, tariffs and connectors (their plugs, power, addresses) change only by an admin's hand: a catalogue page
 * may be five minutes old in a CDN, a browser or the gateway's shared cache.
 */
export const CATALOGUE_MAX_AGE_SECONDS = 300;

/**
 * A connector's effective status: chargers report a change at once (StatusNotification), the OCPP process flushes
 * presence every 2 s, and an unannounced outage is only seen after a missed heartbeat (60 s). Ten seconds of cache
 * adds little to that and still absorbs a crowd opening the same map.
 */
export const CONNECTOR_STATUS_MAX_AGE_SECONDS = 10;

export const CATALOGUE = publicFor(CATALOGUE_MAX_AGE_SECONDS);
export const CONNECTOR_STATUS = publicFor(CONNECTOR_STATUS_MAX_AGE_SECONDS);
