import { createServer } from 'node:net';
import { startStripeEmulator, type StripeEmulator } from '../../../dev/stripe-emulator/index.js';
import { Role, type Identity } from '../../../platform/identity.js';
import { operatorSubgraph } from '../../operator/index.js';
import { createPaymentSubgraph } from '../../payment/index.js';
import { stationSubgraph } from '../../station/index.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { createOperatorIn, dataOf, platformAdmin } from '../../../test/support/results.js';
import { testConfig } from '../../../test/support/config.js';
import { MeterValue } from '../session/meter-value.entity.js';
import { ChargingSession, ChargingSessionStatus } from '../session/session.entity.js';
import { createSessionSubgraph, type SessionServices } from '../index.js';
import { FakeCharger } from './fakes.js';

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
 * With `money`, the real payment subgraph too, on a Stripe emulator: holds, releases, increments and captures happen
 * for real. The charger side is a local stand-in of the OCPP process's POST /commands (FakeCharger).
 */
export interface Harness {
  operator: TestSubgraph;
  station: TestSubgraph;
  session: TestSubgraph;
  payment?: TestSubgraph;
  emulator?: StripeEmulator;
  charger: FakeCharger;
  services: SessionServices;
  operatorUrl: string;
  destroy(): Promise<void>;
}

export async function startHarness(options: { money?: boolean; env?: Record<string, string> } = {}): Promise<Harness> {
  const operator = await createTestSubgraph(operatorSubgraph, testConfig());
  const operatorUrl = await operator.listen(0);
  const station = await createTestSubgraph(stationSubgraph, testConfig({ OPERATOR_URL: operatorUrl }));
  const stationUrl = await station.listen(0);
  const charger = new FakeCharger();
  const ocppUrl = await charger.listen();
  const sessionUrl = await deadUrl(); // a free port: the payment subgraph must know it before the session listens
  let payment: TestSubgraph | undefined;
  let emulator: StripeEmulator | undefined;
  let paymentUrl = await deadUrl();
  if (options.money) {
    emulator = await startStripeEmulator({ port: 0 });
    payment = await createTestSubgraph(
      createPaymentSubgraph({
        env: {
          NODE_ENV: 'test',
          STRIPE_SECRET_KEY: 'sk_test_emulator',
          STRIPE_API_HOST: emulator.clientOptions.host,
          STRIPE_API_PORT: String(emulator.clientOptions.port),
          STRIPE_API_PROTOCOL: 'http',
          STRIPE_TIMEOUT_MS: '2000',
        },
      }),
      testConfig({ OPERATOR_URL: operatorUrl, SESSION_URL: sessionUrl, STATION_URL: stationUrl }),
    );
    paymentUrl = await payment.listen(0);
    emulator.setWebhookUrl(new URL('/webhooks/stripe', paymentUrl).toString());
  }
  let services: SessionServices | undefined;
  const session = await createTestSubgraph(
    createSessionSubgraph({ onServices: (built) => (services = built) }),
    testConfig({
      OPERATOR_URL: operatorUrl,
      STATION_URL: stationUrl,
      PAYMENT_URL: paymentUrl,
      OCPP_URL: ocppUrl,
      SESSION_CHARGER_COMMAND_TIMEOUT_MS: '1000',
      SESSION_JOB_POLLING_SECONDS: '0.5',
      ...options.env,
    }),
  );
  await session.listen(Number(new URL(sessionUrl).port));
  if (!services) throw new Error('session services were not built');
  return {
    operator,
    station,
    session,
    payment,
    emulator,
    charger,
    services,
    operatorUrl,
    async destroy() {
      emulator?.setWebhookUrl(undefined);
      await session.destroy();
      await payment?.destroy();
      await emulator?.close();
      await station.destroy();
      await operator.destroy();
      await charger.close();
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

/**
 * An operator; post-paid unless told otherwise, so tests about sessions (not money) start without a card: its
 * sessions are charged off-session at the end (the harness has no payment subgraph unless `money`).
 */
export async function createOperator(h: Harness, name?: string, { postPaid = true } = {}): Promise<string> {
  const id = await createOperatorIn(h.operator, name);
  if (postPaid)
    dataOf(
      await h.operator.run(
        `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id postPaid } }`,
        { id },
        platformAdmin,
      ),
    );
  return id;
}

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

/** Registers the station's charge point and reports it connected (as the OCPP process would); its chargePointId. */
export async function connectChargePoint(h: Harness, station: CreatedStation, chargePointId: string): Promise<string> {
  dataOf(
    await h.station.run(
      `mutation ($input: RegisterChargePointInput!) { registerChargePoint(input: $input) { chargePoint { id } password } }`,
      { input: { stationId: station.id, chargePointId } },
      platformAdmin,
    ),
  );
  await reportPresence(h, chargePointId, true);
  return chargePointId;
}

export async function reportPresence(h: Harness, chargePointId: string, connected: boolean, lastSeenAt = new Date()) {
  dataOf(
    await h.station.run(
      `mutation ($reports: [ChargePointPresenceInput!]!) { reportChargePointPresence(reports: $reports) }`,
      {
        reports: [
          {
            chargePointId,
            connected,
            protocol: 'OCPP16',
            lastSeenAt: lastSeenAt.toISOString(),
            offlineAfter: new Date(lastSeenAt.getTime() + (connected ? 3600_000 : 0)).toISOString(),
          },
        ],
      },
      chargerService,
    ),
  );
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

/**
 * Moves a session's start back in time, as if it had been charging for `seconds`: meter values must be plausible
 * (no more energy than the connector's power allows in the time since the start).
 */
export async function backdate(h: Harness, sessionId: string, seconds: number): Promise<void> {
  await h.session.orm.em
    .fork()
    .getConnection()
    .execute(
      `update charging_session set started_at = started_at - make_interval(secs => ?), created_at = created_at - make_interval(secs => ?) where id = ?`,
      [seconds, seconds, sessionId],
    );
}

/** Row counts of the session subgraph's tables, to prove a refused mutation wrote nothing. */
export async function rowCounts(h: Harness) {
  const em = h.session.orm.em.fork();
  return {
    sessions: await em.count(ChargingSession, {}),
    active: await em.count(ChargingSession, { status: ChargingSessionStatus.ACTIVE }),
    meterValues: await em.count(MeterValue, {}),
  };
}
