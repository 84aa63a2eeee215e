import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import type { SubgraphName } from '../../subgraphs/common/config.js';
import { Role } from '../../subgraphs/common/identity.js';
import { countStatements } from '../support/sql-counter.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin' };
const driver: TokenClaims = { role: Role.DRIVER, sub: 'driver-batch' };

let stack: TestStack;

async function call<T>(query: string, variables: Record<string, unknown>, who: TokenClaims): Promise<T> {
  const result = await stack.query<T>(query, variables, who);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}

/** 3 operators × 4 stations (one connector each), 100 completed sessions spread over them. */
async function seed(): Promise<void> {
  const stations: Array<{ id: string; connectorId: string }> = [];
  for (const [index, currency] of ['EUR', 'GBP', 'JPY'].entries()) {
    const { createOperator } = await call<{ createOperator: { id: string } }>(
      `mutation ($i: CreateOperatorInput!) { createOperator(input: $i) { id } }`,
      {
        i: {
          name: `Batch Op ${index}`,
          country: ['DE', 'GB', 'JP'][index],
          defaultCurrency: currency,
          contactEmail: 'b@example.com',
        },
      },
      admin,
    );
    const { createTariff } = await call<{ createTariff: { id: string } }>(
      `mutation ($i: CreateTariffInput!) { createTariff(input: $i) { id } }`,
      {
        i: {
          operatorId: createOperator.id,
          name: 'Standard',
          currency,
          energyPricePerKwh: '0.4',
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: 5000,
        },
      },
      admin,
    );
    for (let s = 0; s < 4; s++) {
      const { createStation } = await call<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
        `mutation ($i: CreateStationInput!) { createStation(input: $i) { id connectors { id } } }`,
        {
          i: {
            operatorId: createOperator.id,
            name: `Batch ${index}-${s}`,
            tariffId: createTariff.id,
            timezone: 'Europe/Berlin',
            address: { street: 'Main St 1', city: 'Town', postalCode: '12345', country: 'DE' },
            location: { latitude: 50 + s / 100, longitude: 8 + index / 100 },
            connectors: [{ standard: 'CCS2', powerKw: 150 }],
          },
        },
        admin,
      );
      stations.push({ id: createStation.id, connectorId: createStation.connectors[0].id });
    }
  }
  for (let i = 0; i < 100; i++) {
    const { id, connectorId } = stations[i % stations.length];
    const { startChargingSession } = await call<{ startChargingSession: { id: string } }>(
      `mutation ($i: StartChargingSessionInput!) { startChargingSession(input: $i) { id } }`,
      { i: { stationId: id, connectorId } },
      driver,
    );
    await call(`mutation ($id: ID!) { stopChargingSession(id: $id) { id } }`, { id: startChargingSession.id }, driver);
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  await seed();
}, 120_000);
afterAll(() => stack?.destroy());

const LIST = `query ($first: Int!) { chargingSessions(first: $first) { edges { node { id station { name operator { name } tariff { currency } } } } } }`;

async function statementsPerSubgraph(first: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const names: SubgraphName[] = ['operator', 'station', 'session'];
  // Count every subgraph's statements during one federated query.
  const run = async () => {
    const result = await stack.query<{
      chargingSessions: {
        edges: Array<{ node: { station: { operator: { name: string }; tariff: { currency: string } } } }>;
      };
    }>(LIST, { first }, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data!.chargingSessions.edges).toHaveLength(first);
    for (const { node } of result.data!.chargingSessions.edges) {
      expect(node.station.operator.name).toMatch(/^Batch Op/);
      expect(node.station.tariff.currency).toMatch(/^(EUR|GBP|JPY)$/);
    }
  };
  const nested = names.reduceRight<() => Promise<unknown>>(
    (inner, name) => async () => {
      counts[name] = await countStatements(stack.subgraphs[name]!.orm, inner);
    },
    run,
  );
  await nested();
  return counts;
}

describe('batching', () => {
  it('costs the same number of SQL statements per subgraph for 10 and for 100 sessions', async () => {
    const ten = await statementsPerSubgraph(10);
    const hundred = await statementsPerSubgraph(100);
    console.log('SQL statements per subgraph — 10 sessions:', ten, '100 sessions:', hundred);
    expect(hundred).toEqual(ten);
    for (const count of Object.values(hundred)) expect(count).toBeLessThanOrEqual(3);
  });
});
