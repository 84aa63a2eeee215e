import type { EntityClient } from '../../../platform/entity-client.js';
import { notFound } from '../../../platform/errors.js';

/*
 * What the session subgraph asks its siblings, as a service (signed per call), against the PLAN contract of issue 12:
 * the station subgraph (station, connectors, charge point, connector occupancy), the operator subgraph (status,
 * post-paid) and the payment subgraph (hold, release, increment, charge). Never from client input.
 */

interface UpstreamMoney {
  amount: number;
  currency: string;
}

export interface UpstreamTariff {
  id: string;
  currency: string;
  energyPricePerKwh: string;
  timePricePerHour: string;
  sessionFee: UpstreamMoney;
  taxRateBasisPoints: number;
  preAuthorization: UpstreamMoney;
}

export interface UpstreamConnector {
  id: string;
  /** The effective status (charger's, combined with platform sessions; OFFLINE when the charge point is not connected). */
  status: string;
  ocppConnectorId: number;
  powerKw: number;
}

export interface UpstreamChargePoint {
  id: string;
  chargePointId: string;
  connected: boolean;
  lastSeenAt: string | null;
}

export interface UpstreamStation {
  id: string;
  operator: { id: string };
  timezone: string;
  tariff: UpstreamTariff;
  connectors: UpstreamConnector[];
  /** Null for callers that may not see them; we call as a service, so a list (empty: a manual station). */
  chargePoints: UpstreamChargePoint[] | null;
}

const STATION_SELECTION =
  'id operator { id } timezone tariff { id currency energyPricePerKwh timePricePerHour sessionFee { amount currency } taxRateBasisPoints preAuthorization { amount currency } } connectors { id status ocppConnectorId powerKw } chargePoints { id chargePointId connected lastSeenAt }';

export type ConnectorSessionState = 'STARTING' | 'CHARGING' | 'ENDED';

export interface UpstreamOperator {
  status: string;
  postPaid: boolean;
}

/** The Payment as the session subgraph reads it (payment subgraph). */
export interface HoldPayment {
  id: string;
  status: 'PENDING' | 'REQUIRES_ACTION' | 'AUTHORIZED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  authorizedAmount: UpstreamMoney | null;
}

export interface HoldIncrement {
  incremented: boolean;
  authorizedAmount: number;
  reason: string | null;
}

const PAYMENT_FIELDS = 'id status authorizedAmount { amount currency }';

export class Upstream {
  constructor(private readonly services: EntityClient) {}

  async station(stationId: string): Promise<UpstreamStation> {
    const station = await this.services.resolveOne<UpstreamStation>('station', 'Station', stationId, STATION_SELECTION);
    if (!station) throw notFound('Station', stationId);
    return station;
  }

  /** Charge points of several stations at once (the idle sweep asks whether their chargers are still there). */
  async chargePointsOf(stationIds: string[]): Promise<Map<string, UpstreamChargePoint[]>> {
    const stations = await this.services.resolve<Pick<UpstreamStation, 'id' | 'chargePoints'>>(
      'station',
      'Station',
      stationIds,
      'id chargePoints { id chargePointId connected lastSeenAt }',
    );
    return new Map(stations.flatMap((s) => (s ? [[s.id, s.chargePoints ?? []] as const] : [])));
  }

  async operator(operatorId: string): Promise<UpstreamOperator> {
    const operator = await this.services.resolveOne<UpstreamOperator>(
      'operator',
      'Operator',
      operatorId,
      'status postPaid',
    );
    if (!operator) throw notFound('Operator', operatorId);
    return operator;
  }

  /** Marks (STARTING, CHARGING) or frees (ENDED: only if this session holds it) the connector at the station. */
  async markConnector(
    input: { stationId: string; connectorId: string; sessionId: string },
    state: ConnectorSessionState,
  ): Promise<void> {
    await this.services.call(
      'station',
      `mutation ($input: MarkConnectorSessionInput!) { markConnectorSession(input: $input) }`,
      { input: { ...input, state } },
    );
  }

  /** A hold on the driver's card at the session's operator; errors keep the payment subgraph's codes. */
  async placeHold(sessionId: string, paymentMethodId?: string): Promise<HoldPayment> {
    const data = await this.services.call<{ placeSessionHold: HoldPayment }>(
      'payment',
      `mutation ($sessionId: ID!, $paymentMethodId: ID) { placeSessionHold(sessionId: $sessionId, paymentMethodId: $paymentMethodId) { ${PAYMENT_FIELDS} } }`,
      { sessionId, paymentMethodId: paymentMethodId ?? null },
    );
    return data.placeSessionHold;
  }

  /** Cancels an uncaptured hold of an ended session; null when there is none. Idempotent. */
  async releaseHold(sessionId: string): Promise<HoldPayment | null> {
    const data = await this.services.call<{ releaseSessionHold: HoldPayment | null }>(
      'payment',
      `mutation ($sessionId: ID!) { releaseSessionHold(sessionId: $sessionId) { ${PAYMENT_FIELDS} } }`,
      { sessionId },
    );
    return data.releaseSessionHold;
  }

  /** Asks to authorise `amount` in all (minor units); a decline is `incremented: false`, not an error. */
  async incrementHold(sessionId: string, amount: number): Promise<HoldIncrement> {
    const data = await this.services.call<{ incrementSessionHold: HoldIncrement }>(
      'payment',
      `mutation ($sessionId: ID!, $amount: Int!) { incrementSessionHold(sessionId: $sessionId, amount: $amount) { incremented authorizedAmount reason } }`,
      { sessionId, amount },
    );
    return data.incrementSessionHold;
  }

  /** Captures (or charges off-session) the session's final amount on its operator's account. */
  async charge(sessionId: string): Promise<HoldPayment> {
    const data = await this.services.call<{ chargeSession: HoldPayment }>(
      'payment',
      `mutation ($sessionId: ID!) { chargeSession(sessionId: $sessionId) { ${PAYMENT_FIELDS} } }`,
      { sessionId },
    );
    return data.chargeSession;
  }

  /** The session's payment as the payment subgraph sees it now (after 3-D Secure: AUTHORIZED or not yet). */
  async paymentOf(sessionId: string): Promise<HoldPayment | null> {
    const session = await this.services.resolveOne<{ payment: HoldPayment | null }>(
      'payment',
      'ChargingSession',
      sessionId,
      `payment { ${PAYMENT_FIELDS} }`,
    );
    return session?.payment ?? null;
  }
}
