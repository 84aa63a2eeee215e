import type { GraphQLCall } from '../seed.js';

export interface ChargePointConnectorInfo {
  ocppConnectorId: number;
  connectorId: string;
  powerKw: number;
}

export interface EnsuredChargePoint {
  stationId: string;
  stationName: string;
  /** The station subgraph's id of the charge point (for rotate/remove). */
  id: string;
  chargePointId: string;
  /** Shown once by the platform: registration and rotation are the only places it appears. */
  password: string;
  /** Registered now (true) or already there, with a new password (false). */
  registered: boolean;
  /** In OCPP order (connector 1, 2, …). */
  connectors: ChargePointConnectorInfo[];
}

/** A charge point id derived from the station id: stable across runs, short enough for every OCPP field. */
export function defaultChargePointId(stationId: string): string {
  return `SIM-${stationId.replace(/-/g, '').slice(-12).toUpperCase()}`;
}

interface StationAnswer {
  station: {
    id: string;
    name: string;
    connectors: Array<{ id: string; powerKw: number; ocppConnectorId: number }>;
    chargePoints: Array<{ id: string; chargePointId: string }> | null;
  };
}
interface Registered {
  chargePoint: { id: string; chargePointId: string };
  password: string;
}

/**
 * Gives a station its charge point through the public API (as a platform or that operator's admin): registers one
 * when it has none, else rotates the password of the one it has. Passwords are only ever shown at that moment, so
 * a fresh one per run is how a simulator gets credentials without storing any.
 */
export async function ensureChargePoint(
  call: GraphQLCall,
  stationId: string,
  chargePointId?: string,
): Promise<EnsuredChargePoint> {
  const { station } = await call<StationAnswer>(
    `query ($id: ID!) { station(id: $id) { id name connectors { id powerKw ocppConnectorId } chargePoints { id chargePointId } } }`,
    { id: stationId },
  );
  if (station.chargePoints === null)
    throw new Error(`not allowed to see the charge points of station ${stationId} (an admin token is needed)`);
  const existing = chargePointId
    ? station.chargePoints.find((c) => c.chargePointId === chargePointId)
    : station.chargePoints[0];
  let result: Registered;
  if (existing) {
    ({ rotateChargePointPassword: result } = await call<{ rotateChargePointPassword: Registered }>(
      `mutation ($id: ID!) { rotateChargePointPassword(id: $id) { chargePoint { id chargePointId } password } }`,
      { id: existing.id },
    ));
  } else {
    ({ registerChargePoint: result } = await call<{ registerChargePoint: Registered }>(
      // Inline input: does not depend on what the input type is called.
      `mutation ($stationId: ID!, $chargePointId: String!) { registerChargePoint(input: { stationId: $stationId, chargePointId: $chargePointId }) { chargePoint { id chargePointId } password } }`,
      { stationId, chargePointId: chargePointId ?? defaultChargePointId(stationId) },
    ));
  }
  return {
    stationId: station.id,
    stationName: station.name,
    id: result.chargePoint.id,
    chargePointId: result.chargePoint.chargePointId,
    password: result.password,
    registered: !existing,
    connectors: station.connectors
      .map((c) => ({ ocppConnectorId: c.ocppConnectorId, connectorId: c.id, powerKw: c.powerKw }))
      .sort((a, b) => a.ocppConnectorId - b.ocppConnectorId),
  };
}
