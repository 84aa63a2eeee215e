import type { RPCClient } from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../subgraphs/common/identity.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { startTestStack, type TestStack } from '../../test/support/stack.js';
import { charger, closed, until } from './support.js';

/** Through the real station subgraph: register a charge point, connect, boot, report a status, see it public. */
let stack: TestStack;
let wsUrl: string;
const platformAdmin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-1' };
let operatorAdmin: TokenClaims;
let stationId: string;
let chargePointId: string;
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
    registerChargePoint: { chargePoint: { chargePointId: string }; password: string };
  }>(
    `mutation ($input: RegisterChargePointInput!) { registerChargePoint(input: $input) { chargePoint { chargePointId } password } }`,
    { input: { stationId, chargePointId: 'E2E-CP-1' } },
  );
  chargePointId = registerChargePoint.chargePoint.chargePointId;
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

  it('disconnecting makes the station offline again', async () => {
    const whenClosed = closed(client);
    await client.close();
    await whenClosed;
    await until(async () => (await station()).chargePoints[0]?.connected === false, 5_000);
    expect((await station()).connectors.map((connector) => connector.status)).toEqual(['OFFLINE', 'OFFLINE']);
  });
});
