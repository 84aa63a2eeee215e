import { expect } from 'vitest';
import { Role, type Identity } from '../../../platform/identity.js';
import { operatorSubgraph } from '../../operator/index.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { createOperatorIn, dataOf, platformAdmin } from '../../../test/support/results.js';
import { testConfig } from '../../../test/support/config.js';
import { ChargePoint } from '../charge-point/charge-point.entity.js';
import { Connector } from '../connector/connector.entity.js';
import { EARTH_RADIUS_KM, type LatLng } from '../geo.js';
import { Station } from '../station/station.entity.js';
import { Tariff } from '../tariff/tariff.entity.js';
import { stationSubgraph } from '../index.js';

export { platformAdmin };
export const driver: Identity = { role: Role.DRIVER, sub: 'driver-1' };
export const adminOf = (operatorId: string): Identity => ({
  role: Role.OPERATOR_ADMIN,
  sub: `admin-of-${operatorId}`,
  operatorId,
});
export const UNKNOWN_ID = '0190f0f0-0000-7000-8000-000000000000';
/** Another ChargeGraph process (the OCPP process, the session subgraph). */
export const service: Identity = { role: Role.SERVICE, sub: 'ocpp' };

export const CENTER = { latitude: 52.52, longitude: 13.405 }; // Berlin

/**
 * A real operator subgraph served over HTTP (the station subgraph verifies operators there) and a station subgraph
 * pointed at it, each on a database of its own.
 */
export interface Harness {
  operator: TestSubgraph;
  station: TestSubgraph;
  destroy(): Promise<void>;
}

export async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const operator = await createTestSubgraph(operatorSubgraph, testConfig());
  const url = await operator.listen(0);
  const station = await createTestSubgraph(stationSubgraph, testConfig({ OPERATOR_URL: url, ...overrides }));
  return {
    operator,
    station,
    async destroy() {
      await station.destroy();
      await operator.destroy();
    },
  };
}

export { dataOf, errorCode, type Result } from '../../../test/support/results.js';

export const createOperator = (h: Harness, name?: string): Promise<string> => createOperatorIn(h.operator, name);

export const CREATE_TARIFF = `mutation ($input: CreateTariffInput!) {
  createTariff(input: $input) {
    id name currency energyPricePerKwh timePricePerHour taxRateBasisPoints createdAt
    operator { id } sessionFee { amount currency } preAuthorization { amount currency }
  }
}`;

export const tariffInput = (operatorId: string, override: Record<string, unknown> = {}) => ({
  operatorId,
  name: 'Standard',
  currency: 'EUR',
  energyPricePerKwh: '0.349',
  timePricePerHour: '1.2',
  sessionFee: 50,
  taxRateBasisPoints: 1900,
  preAuthorizationAmount: 5000,
  ...override,
});

export async function createTariff(
  h: Harness,
  operatorId: string,
  override: Record<string, unknown> = {},
): Promise<string> {
  const result = await h.station.run<{ createTariff: { id: string } }>(
    CREATE_TARIFF,
    { input: tariffInput(operatorId, override) },
    adminOf(operatorId),
  );
  return dataOf(result).createTariff.id;
}

export const CREATE_STATION = `mutation ($input: CreateStationInput!) {
  createStation(input: $input) {
    id name timezone createdAt
    address { street city postalCode country }
    location { latitude longitude }
    operator { id }
    tariff { id currency }
    connectors { id ocppConnectorId standard powerKw status statusSource }
  }
}`;

export const stationInput = (operatorId: string, tariffId: string, override: Record<string, unknown> = {}) => ({
  operatorId,
  tariffId,
  name: 'Alexanderplatz',
  address: { street: 'Alexanderplatz 1', city: 'Berlin', postalCode: '10178', country: 'DE' },
  location: CENTER,
  timezone: 'Europe/Berlin',
  connectors: [
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'TYPE2', powerKw: 22 },
  ],
  ...override,
});

export interface CreatedStation {
  id: string;
  connectors: Array<{ id: string; ocppConnectorId: number; standard: string; status: string; statusSource: string }>;
}

export async function createStation(
  h: Harness,
  operatorId: string,
  tariffId: string,
  override: Record<string, unknown> = {},
): Promise<CreatedStation> {
  const result = await h.station.run<{ createStation: CreatedStation }>(
    CREATE_STATION,
    { input: stationInput(operatorId, tariffId, override) },
    adminOf(operatorId),
  );
  return dataOf(result).createStation;
}

/** Row counts of every table, to prove a refused mutation wrote nothing. */
export async function rowCounts(h: Harness) {
  const em = h.station.orm.em.fork();
  return {
    tariffs: await em.count(Tariff, {}),
    stations: await em.count(Station, {}),
    connectors: await em.count(Connector, {}),
    chargePoints: await em.count(ChargePoint, {}),
  };
}

export const REGISTER_CHARGE_POINT = `mutation ($input: RegisterChargePointInput!) {
  registerChargePoint(input: $input) {
    chargePoint { id chargePointId protocol connected lastSeenAt firmwareVersion vendor model }
    password
  }
}`;

export interface RegisteredChargePoint {
  chargePoint: { id: string; chargePointId: string };
  password: string;
}

export async function registerChargePoint(
  h: Harness,
  operatorId: string,
  stationId: string,
  chargePointId: string,
): Promise<RegisteredChargePoint> {
  const result = await h.station.run<{ registerChargePoint: RegisteredChargePoint }>(
    REGISTER_CHARGE_POINT,
    { input: { stationId, chargePointId } },
    adminOf(operatorId),
  );
  return dataOf(result).registerChargePoint;
}

export const REPORT_PRESENCE = `mutation ($reports: [ChargePointPresenceInput!]!) {
  reportChargePointPresence(reports: $reports)
}`;

/** The OCPP process says the charger is connected, with heartbeats due within `withinMs` (negative: overdue). */
export async function reportOnline(h: Harness, chargePointId: string, withinMs = 60_000): Promise<void> {
  const now = Date.now();
  const result = await h.station.run<{ reportChargePointPresence: number }>(
    REPORT_PRESENCE,
    {
      reports: [
        {
          chargePointId,
          connected: true,
          protocol: 'OCPP16',
          lastSeenAt: new Date(now).toISOString(),
          offlineAfter: new Date(now + withinMs).toISOString(),
        },
      ],
    },
    service,
  );
  expect(dataOf(result).reportChargePointPresence).toBe(1);
}

export interface ConnectorView {
  id: string;
  ocppConnectorId: number;
  status: string;
  statusSource: string;
}

/** A station's connectors as the public catalogue shows them. */
export async function connectorsOf(h: Harness, stationId: string): Promise<ConnectorView[]> {
  const result = await h.station.run<{ station: { connectors: ConnectorView[] } }>(
    `query ($id: ID!) { station(id: $id) { connectors { id ocppConnectorId status statusSource } } }`,
    { id: stationId },
  );
  return dataOf(result).station.connectors;
}

/** Collects every SQL statement the station subgraph sends while `work` runs. */
export async function statementsDuring(h: Harness, work: () => Promise<unknown>): Promise<string[]> {
  const knex = h.station.orm.em.getConnection().getKnex();
  const statements: string[] = [];
  const listener = (query: { sql: string }) => void statements.push(query.sql);
  knex.on('query', listener);
  try {
    await work();
  } finally {
    knex.off('query', listener);
  }
  return statements;
}

/** The point `distanceKm` away from `from` in direction `bearingDegrees` (great circle, same Earth radius as geo.ts). */
export function destination(from: LatLng, distanceKm: number, bearingDegrees: number): LatLng {
  const rad = Math.PI / 180;
  const angle = distanceKm / EARTH_RADIUS_KM;
  const bearing = bearingDegrees * rad;
  const lat1 = from.latitude * rad;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(angle) + Math.cos(lat1) * Math.sin(angle) * Math.cos(bearing));
  const lng2 =
    from.longitude * rad +
    Math.atan2(Math.sin(bearing) * Math.sin(angle) * Math.cos(lat1), Math.cos(angle) - Math.sin(lat1) * Math.sin(lat2));
  return { latitude: lat2 / rad, longitude: ((lng2 / rad + 540) % 360) - 180 };
}
