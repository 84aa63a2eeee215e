import type { RPCClient } from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../platform/identity.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { startTestStack, type TestStack } from '../../test/support/stack.js';
import { callError, charger, closed, until } from './support.js';

/** Through the real station subgraph: register a charge point, connect, boot, report a status, see it public. */
let stack: TestStack;
let wsUrl: string;
const platformAdmin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-1' };
let operatorAdmin: TokenClaims;
let stationId: string;
let chargePointId: string;
let chargePointDbId: string;
let password: string;

async function data<T>(
  query: string,
  variables: Record<string, unknown>,
  who: TokenClaims = operatorAdmin,
): Promise<T> {
  const result = await stack.query<T>(query, variables, who);
  if (result.errors?.length || !result.data) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

const STATION = `query ($id: ID!) { station(id: $id) {
  connectors { ocppConnectorId status statusSource }
  chargePoints { chargePointId connected protocol vendor model firmwareVersion }
} }`;
interface StationView {
  station: {
    connectors: Array<{ ocppConnectorId: number; status: string; statusSource: string }>;
    chargePoints: Array<{ connected: boolean; protocol: string | null; vendor: string | null; model: string | null }>;
  };
}
const station = async () => (await data<StationView>(STATION, { id: stationId })).station;

beforeAll(async () => {
  stack = await startTestStack();
  wsUrl = `${stack.ocppUrl.replace('http', 'ws')}/ocpp`;
  const { createOperator } = await data<{ createOperator: { id: string } }>(
    `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
    { input: { name: 'Voltia', country: 'DE', defaultCurrency: 'EUR', contactEmail: 'ops@example.com' } },
    platformAdmin,
  );
  operatorAdmin = { role: Role.OPERATOR_ADMIN, sub: 'op-admin', operatorId: createOperator.id };
  const { createTariff } = await data<{ createTariff: { id: string } }>(
    `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
    {
      input: {
        operatorId: createOperator.id,
        name: 'Standard',
        currency: 'EUR',
        energyPricePerKwh: '0.349',
        timePricePerHour: '1.2',
        sessionFee: 50,
        taxRateBasisPoints: 1900,
        preAuthorizationAmount: 5000,
      },
    },
  );
  const { createStation } = await data<{ createStation: { id: string } }>(
    `mutation ($input: CreateStationInput!) { createStation(input: $input) { id } }`,
    {
      input: {
        operatorId: createOperator.id,
        tariffId: createTariff.id,
        name: 'Alexanderplatz',
        address: { street: 'Alexanderplatz 1', city: 'Berlin', postalCode: '10178', country: 'DE' },
        location: { latitude: 52.52, longitude: 13.405 },
        timezone: 'Europe/Berlin',
        connectors: [
          { standard: 'CCS2', powerKw: 150 },
          { standard: 'TYPE2', powerKw: 22 },
        ],
      },
    },
  );
  stationId = createStation.id;
  const { registerChargePoint } = await data<{
    registerChargePoint: { chargePoint: { id: string; chargePointId: string }; password: string };
  }>(
    `mutation ($input: RegisterChargePointInput!) { registerChargePoint(input: $input) { chargePoint { id chargePointId } password } }`,
    { input: { stationId, chargePointId: 'E2E-CP-1' } },
  );
  chargePointId = registerChargePoint.chargePoint.chargePointId;
  chargePointDbId = registerChargePoint.chargePoint.id;
  password = registerChargePoint.password;
});
afterAll(async () => {
  await stack?.destroy();
});

describe('a charger through the real subgraphs', () => {
  let client: RPCClient;

  it('refuses a wrong password at the handshake (401)', async () => {
    const error = await charger(wsUrl, chargePointId, 'not-the-password', 'ocpp1.6')
      .connect()
      .catch((failure: unknown) => failure);
    expect((error as { code?: number }).code).toBe(401);
  });

  it('connects, boots and reports a status: the connector’s effective status changes', async () => {
    // Registered but never connected: the station is offline.
    expect((await station()).connectors.map((connector) => connector.status)).toEqual(['OFFLINE', 'OFFLINE']);

    client = charger(wsUrl, chargePointId, password, 'ocpp1.6');
    await client.connect();
    const boot = (await client.call('BootNotification', {
      chargePointVendor: 'Acme',
      chargePointModel: 'Wallbox 22',
      firmwareVersion: '1.2.3',
    })) as { status: string };
    expect(boot.status).toBe('Accepted');
    await until(async () => (await station()).chargePoints[0]?.vendor === 'Acme', 5_000);
    expect((await station()).chargePoints[0]).toMatchObject({
      connected: true,
      protocol: 'OCPP16',
      model: 'Wallbox 22',
    });

    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    await client.call('StatusNotification', { connectorId: 2, errorCode: 'GroundFailure', status: 'Faulted' });
    expect((await station()).connectors).toEqual([
      { ocppConnectorId: 1, status: 'AVAILABLE', statusSource: 'CHARGER' },
      { ocppConnectorId: 2, status: 'FAULTED', statusSource: 'CHARGER' },
    ]);
  });

  it('rotating the password disconnects the charger; only the new password logs in', async () => {
    client = charger(wsUrl, chargePointId, password, 'ocpp1.6');
    await client.connect();
    const whenClosed = closed(client);
    const { rotateChargePointPassword } = await data<{ rotateChargePointPassword: { password: string } }>(
      `mutation ($id: ID!) { rotateChargePointPassword(id: $id) { password } }`,
      { id: chargePointDbId },
    );
    expect((await whenClosed).code).toBe(1000);
    const old = await charger(wsUrl, chargePointId, password, 'ocpp1.6')
      .connect()
      .catch((failure: unknown) => failure);
    expect((old as { code?: number }).code).toBe(401);
    password = rotateChargePointPassword.password;
    client = charger(wsUrl, chargePointId, password, 'ocpp1.6');
    await client.connect();
    await until(async () => (await station()).chargePoints[0]?.connected === true, 5_000);
  });

  it('disconnecting makes the station offline again', async () => {
    const whenClosed = closed(client);
    await client.close();
    await whenClosed;
    await until(async () => (await station()).chargePoints[0]?.connected === false, 5_000);
    expect((await station()).connectors.map((connector) => connector.status)).toEqual(['OFFLINE', 'OFFLINE']);
  });
});

/** Through the real station and session subgraphs: an app start reaches the charger, its transaction drives the session. */
describe('a charging session driven by a charger', () => {
  const driver: TokenClaims = { role: Role.DRIVER, sub: 'driver-e2e' };
  let client: RPCClient;
  let sessionStationId: string;
  let connectorId: string;
  const received: string[] = [];
  // The charger's own calls, made from its command handlers: awaited before it disconnects, so none is cut off.
  const chargerCalls: Array<Promise<unknown>> = [];
  let transactionId = 0;

  const SESSION = `query ($id: ID!) { chargingSession(id: $id) { id status energyWh stopReason chargePointId } }`;
  const session = async (id: string) =>
    (
      await data<{ chargingSession: { status: string; energyWh: number; stopReason: string | null } }>(
        SESSION,
        { id },
        driver,
      )
    ).chargingSession;

  beforeAll(async () => {
    // A post-paid operator: no hold (and no card) needed to start.
    await data(
      `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id } }`,
      { id: operatorAdmin.operatorId },
      platformAdmin,
    );
    const { createTariff } = await data<{ createTariff: { id: string } }>(
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: operatorAdmin.operatorId,
          name: 'No hold',
          currency: 'EUR',
          energyPricePerKwh: '0.30',
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 1900,
          preAuthorizationAmount: 1000,
        },
      },
    );
    const { createStation } = await data<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
      `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
      {
        input: {
          operatorId: operatorAdmin.operatorId,
          tariffId: createTariff.id,
          name: 'Hauptbahnhof',
          address: { street: 'Europaplatz 1', city: 'Berlin', postalCode: '10557', country: 'DE' },
          location: { latitude: 52.525, longitude: 13.369 },
          timezone: 'Europe/Berlin',
          connectors: [{ standard: 'TYPE2', powerKw: 22 }],
        },
      },
    );
    sessionStationId = createStation.id;
    connectorId = createStation.connectors[0].id;
    const { registerChargePoint } = await data<{ registerChargePoint: { password: string } }>(
      `mutation ($input: RegisterChargePointInput!) { registerChargePoint(input: $input) { password } }`,
      { input: { stationId: sessionStationId, chargePointId: 'E2E-CP-2' } },
    );
    client = charger(wsUrl, 'E2E-CP-2', registerChargePoint.password, 'ocpp1.6');
    // The charger accepts a remote start and then starts the transaction with the idTag it was given.
    client.handle('RemoteStartTransaction', ({ params }) => {
      const { connectorId: connector, idTag } = params as { connectorId: number; idTag: string };
      received.push('RemoteStartTransaction');
      setTimeout(() => {
        chargerCalls.push(
          (async () => {
            const started = (await client.call('StartTransaction', {
              connectorId: connector,
              idTag,
              meterStart: 10_000,
              timestamp: new Date().toISOString(),
            })) as { transactionId: number };
            transactionId = started.transactionId;
            await client.call('StatusNotification', {
              connectorId: connector,
              errorCode: 'NoError',
              status: 'Charging',
            });
          })(),
        );
      }, 50);
      return Promise.resolve({ status: 'Accepted' });
    });
    client.handle('RemoteStopTransaction', ({ params }) => {
      received.push('RemoteStopTransaction');
      expect((params as { transactionId: number }).transactionId).toBe(transactionId);
      setTimeout(
        () =>
          chargerCalls.push(
            client.call('StopTransaction', {
              transactionId,
              meterStop: 10_090,
              timestamp: new Date().toISOString(),
              reason: 'Remote',
            }),
          ),
        50,
      );
      return Promise.resolve({ status: 'Accepted' });
    });
    await client.connect();
    await client.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'AC 22' });
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    await until(async () => {
      const view = await data<StationView>(STATION, { id: sessionStationId });
      return view.station.connectors[0]?.status === 'AVAILABLE';
    }, 5_000);
  });
  afterAll(async () => {
    await Promise.allSettled(chargerCalls);
    await client?.close();
  });

  it('start → RemoteStartTransaction → StartTransaction → ACTIVE; meter values; stop → RemoteStop → COMPLETED', async () => {
    const started = await stack.query<{ startChargingSession: { id: string; status: string } }>(
      `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status } }`,
      { input: { stationId: sessionStationId, connectorId } },
      driver,
    );
    expect(started.errors).toBeUndefined();
    const id = started.data!.startChargingSession.id;
    expect(received).toEqual(['RemoteStartTransaction']);
    await until(async () => (await session(id)).status === 'ACTIVE', 5_000);
    expect((await data<StationView>(STATION, { id: sessionStationId })).station.connectors[0].status).toBe('CHARGING');

    await client.call('MeterValues', {
      connectorId: 1,
      transactionId,
      meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '10.08', unit: 'kWh' }] }],
    });
    expect((await session(id)).energyWh).toBe(80);
    // Within seconds of the start only a little energy is plausible (the allowance of the check); backwards never:
    // the session subgraph refuses it, the charger gets a CALLERROR with its message.
    const refused = await callError(
      client.call('MeterValues', {
        connectorId: 1,
        transactionId,
        meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '9000' }] }],
      }),
    );
    expect(refused.code).toBe('PropertyConstraintViolation');
    expect((await session(id)).energyWh).toBe(80);
    const stopped = await stack.query<{ stopChargingSession: { status: string } }>(
      `mutation ($id: ID!) { stopChargingSession(id: $id) { status } }`,
      { id },
      driver,
    );
    expect(stopped.errors).toBeUndefined();
    expect(received).toEqual(['RemoteStartTransaction', 'RemoteStopTransaction']);
    await until(async () => (await session(id)).status === 'COMPLETED', 5_000);
    expect(await session(id)).toMatchObject({ status: 'COMPLETED', energyWh: 90 });
  });
});
