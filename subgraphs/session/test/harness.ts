import { createServer } from 'node:net';
import { Role, type Identity } from '../../common/identity.js';
import { operatorSubgraph } from '../../operator/index.js';
import { stationSubgraph } from '../../station/index.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { createOperatorIn, dataOf, platformAdmin } from '../../../test/support/results.js';
import { testConfig } from '../../../test/support/config.js';
import { MeterValue } from '../session/meter-value.entity.js';
import { ChargingSession, ChargingSessionStatus } from '../session/session.entity.js';
import { sessionSubgraph } from '../index.js';

export { platformAdmin };
export const analyst: Identity = { role: Role.ANALYST, sub: 'analyst-1' };
export const partner: Identity = { role: Role.PARTNER, sub: 'partner-1' };
export const chargerService: Identity = { role: Role.SERVICE, sub: 'charger-gateway' };
export const adminOf = (operatorId: string): Identity => ({
  role: Role.OPERATOR_ADMIN,
  sub: `admin-of-${operatorId}`,
  operatorId,
});
export const UNKNOWN_ID = '0190f0f0-0000-7000-8000-000000000000';

let drivers = 0;
/** A driver of their own: a driver may have only one ACTIVE session, so tests do not share drivers. */
export const newDriver = (): Identity => ({ role: Role.DRIVER, sub: `driver-${++drivers}-${process.pid}` });

/**
 * Real operator and station subgraphs over HTTP on free ports, and the session subgraph pointed at them, each on a
 * database of its own: the session subgraph learns stations, tariffs and operators the way it does in production.
 */
export interface Harness {
  operator: TestSubgraph;
  station: TestSubgraph;
  session: TestSubgraph;
  operatorUrl: string;
  destroy(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const operator = await createTestSubgraph(operatorSubgraph, testConfig());
  const operatorUrl = await operator.listen(0);
  const station = await createTestSubgraph(stationSubgraph, testConfig({ OPERATOR_URL: operatorUrl }));
  const stationUrl = await station.listen(0);
  const session = await createTestSubgraph(
    sessionSubgraph,
    testConfig({ OPERATOR_URL: operatorUrl, STATION_URL: stationUrl }),
  );
  return {
    operator,
    station,
    session,
    operatorUrl,
    async destroy() {
      await session.destroy();
      await station.destroy();
      await operator.destroy();
    },
  };
}

/** A URL nothing listens on (a port taken and released again). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/graphql`;
}

export { dataOf, errorCode, type Result } from '../../../test/support/results.js';

export const createOperator = (h: Harness, name?: string): Promise<string> => createOperatorIn(h.operator, name);

export const EUR_TARIFF = {
  currency: 'EUR',
  energyPricePerKwh: '0.349',
  timePricePerHour: '1.2',
  sessionFee: 50,
  taxRateBasisPoints: 1900,
  preAuthorizationAmount: 5000,
};

export async function createTariff(
  h: Harness,
  operatorId: string,
  override: Record<string, unknown> = {},
): Promise<string> {
  const result = await h.station.run<{ createTariff: { id: string } }>(
    `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
    { input: { operatorId, name: 'Standard', ...EUR_TARIFF, ...override } },
    platformAdmin,
  );
  return dataOf(result).createTariff.id;
}

export interface CreatedStation {
  id: string;
  connectors: Array<{ id: string }>;
}

export async function createStation(
  h: Harness,
  operatorId: string,
  tariffId: string,
  connectors = 2,
): Promise<CreatedStation> {
  const result = await h.station.run<{ createStation: CreatedStation }>(
    `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
    {
      input: {
        operatorId,
        tariffId,
        name: 'Alexanderplatz',
        address: { street: 'Alexanderplatz 1', city: 'Berlin', postalCode: '10178', country: 'DE' },
        location: { latitude: 52.52, longitude: 13.405 },
        timezone: 'Europe/Berlin',
        connectors: Array.from({ length: connectors }, () => ({ standard: 'CCS2', powerKw: 150 })),
      },
    },
    platformAdmin,
  );
  return dataOf(result).createStation;
}

export async function setConnectorStatus(
  h: Harness,
  station: CreatedStation,
  connectorId: string,
  status: string,
): Promise<void> {
  const result = await h.station.run(
    `mutation ($input: SetConnectorStatusInput!) { setConnectorStatus(input: $input) { id status } }`,
    { input: { stationId: station.id, connectorId, status } },
    platformAdmin,
  );
  dataOf(result);
}

export const SESSION_FIELDS = `id status connectorId driverId startedAt endedAt energyWh
  station { id } operator { id }
  tariff { tariffId currency energyPricePerKwh timePricePerHour sessionFee { amount currency } taxRateBasisPoints preAuthorization { amount currency } }
  cost { energy { amount currency } time { amount } sessionFee { amount } tax { amount } total { amount currency } }`;

export interface SessionView {
  id: string;
  status: string;
  connectorId: string;
  driverId: string;
  startedAt: string;
  endedAt: string | null;
  energyWh: number;
  station: { id: string };
  operator: { id: string };
  tariff: {
    tariffId: string;
    currency: string;
    energyPricePerKwh: string;
    timePricePerHour: string;
    sessionFee: { amount: number; currency: string };
    taxRateBasisPoints: number;
    preAuthorization: { amount: number; currency: string };
  };
  cost: {
    energy: { amount: number; currency: string };
    time: { amount: number };
    sessionFee: { amount: number };
    tax: { amount: number };
    total: { amount: number; currency: string };
  };
}

export const START = `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { ${SESSION_FIELDS} } }`;
export const METER = `mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { ${SESSION_FIELDS} } }`;
export const STOP = `mutation ($id: ID!) { stopChargingSession(id: $id) { ${SESSION_FIELDS} } }`;
export const GET = `query ($id: ID!) { chargingSession(id: $id) { ${SESSION_FIELDS} } }`;

export const start = (h: Harness, who: Identity, stationId: string, connectorId: string) =>
  h.session.run<{ startChargingSession: SessionView }>(START, { input: { stationId, connectorId } }, who);

export async function startOk(h: Harness, who: Identity, stationId: string, connectorId: string): Promise<SessionView> {
  return dataOf(await start(h, who, stationId, connectorId)).startChargingSession;
}

export const recordMeter = (h: Harness, who: Identity, sessionId: string, energyWh: number, measuredAt: Date) =>
  h.session.run<{ recordMeterValue: SessionView }>(
    METER,
    { input: { sessionId, energyWh, measuredAt: measuredAt.toISOString() } },
    who,
  );

export const stop = (h: Harness, who: Identity, id: string) =>
  h.session.run<{ stopChargingSession: SessionView }>(STOP, { id }, who);

/** Row counts of the session subgraph's tables, to prove a refused mutation wrote nothing. */
export async function rowCounts(h: Harness) {
  const em = h.session.orm.em.fork();
  return {
    sessions: await em.count(ChargingSession, {}),
    active: await em.count(ChargingSession, { status: ChargingSessionStatus.ACTIVE }),
    meterValues: await em.count(MeterValue, {}),
  };
}
