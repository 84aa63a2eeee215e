import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import type { SubgraphName } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
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
    // Post-paid: sessions start without a hold (the driver needs no saved card); without energy, nothing to charge.
    await call(
      `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id } }`,
      { id: createOperator.id },
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
  // Ended sessions are settled by a job; let those finish so that their statements do not count below.
  const session = stack.subgraphs.session!.orm.em;
  const unsettled = async () => {
    const [row]: Array<{ count: string }> = await session
      .fork()
      .execute('select count(*) as count from charging_session where settled_at is null');
    return Number(row.count);
  };
  for (const deadline = Date.now() + 90_000; (await unsettled()) > 0;) {
    if (Date.now() > deadline) throw new Error(`${await unsettled()} sessions still unsettled`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  // Settle jobs are taken one per poll: poll often, so that the 100 ended sessions are settled before counting.
  stack = await startTestStack({ SESSION_JOB_POLLING_SECONDS: '0.5' });
  await seed();
}, 150_000);
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
