/**
 * The API as an app's normalized cache sees it: a real Apollo Client (InMemoryCache, HttpLink over fetch) against the
 * whole platform through the gateway runs a driver's journey from the catalogue to the receipt, and the analysts'
 * saved queries, with the published cache policies (schema/apollo-type-policies.ts). Overlapping queries, as an app
 * makes them, must merge without Apollo's "Cache data may be lost" warnings; without the policies the same journey
 * warns (so the capture is not vacuous).
 */
import { readFile } from 'node:fs/promises';
import { getNamedType, isObjectType, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { entityTypes, possibleTypes, typePolicies } from '../../schema/apollo-type-policies.js';
import { apiSchema } from '../../schema/breaking.js';
import { Role } from '../../platform/identity.js';
import {
  adminOf,
  createOperator,
  newDriver,
  startPaymentStack,
  type Operator,
  type PaymentStack,
} from '../payment/support.js';

// Apollo's development checks (the data-loss warning among them) run only with __DEV__, read when it loads.
Object.assign(globalThis, { __DEV__: true });
const apollo = await import('@apollo/client');
const { loadDevMessages, loadErrorMessages } = await import('@apollo/client/dev');
loadDevMessages();
loadErrorMessages();
const { ApolloClient, HttpLink, InMemoryCache, gql } = apollo;

let p: PaymentStack;
let operator: Operator;
beforeAll(async () => {
  p = await startPaymentStack();
  operator = await createOperator(p, 'Cachet', {
    country: 'DE',
    currency: 'EUR',
    energyPricePerKwh: '0.45',
    preAuthorizationAmount: 5000,
  });
}, 120_000);
afterAll(() => p?.destroy());

/** Everything Apollo (and anything else) warns or errs on the console while `run` runs. */
async function consoleWarnings(run: () => Promise<void>): Promise<string[]> {
  const logged: string[] = [];
  const original = { warn: console.warn, error: console.error };
  const record = (...args: unknown[]) =>
    void logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  console.warn = record;
  console.error = record;
  try {
    await run();
  } finally {
    Object.assign(console, original);
  }
  return logged;
}

type Client = InstanceType<typeof ApolloClient>;

async function clientFor(who: TokenClaims, withPolicies: boolean): Promise<Client> {
  const token = await p.stack.token(who);
  return new ApolloClient({
    link: new HttpLink({ uri: p.stack.gatewayUrl, headers: { authorization: `Bearer ${token}` } }),
    cache: withPolicies ? new InMemoryCache({ possibleTypes, typePolicies }) : new InMemoryCache(),
  });
}

const CATALOGUE = gql`
  query Catalogue {
    stations(first: 5) {
      edges {
        node {
          id
          name
          tariff {
            id
            currency
            energyPricePerKwh
          }
          connectors {
            id
            status
          }
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`;
const CATALOGUE_WITH_PRICES = gql`
  query CatalogueWithPrices {
    stations(first: 5) {
      edges {
        cursor
        node {
          id
          address {
            city
          }
          tariff {
            id
            sessionFee {
              amount
              currency
            }
            preAuthorization {
              amount
            }
          }
          connectors {
            id
            standard
            powerKw
          }
        }
      }
      pageInfo {
        endCursor
      }
    }
  }
`;
const STATION = gql`
  query Station($id: ID!) {
    station(id: $id) {
      id
      name
      address {
        street
        city
        postalCode
      }
      location {
        latitude
        longitude
      }
      connectors {
        id
        status
        standard
      }
    }
  }
`;
const SAVE_CARD = gql`
  mutation SaveCard($pm: String!) {
    savePaymentMethod(paymentMethodId: $pm) {
      id
      brand
      last4
    }
  }
`;
const MY_CARDS = gql`
  query MyCards {
    myPaymentMethods {
      id
      brand
      last4
      expMonth
      expYear
    }
  }
`;
const START = gql`
  mutation Start($input: StartChargingSessionInput!) {
    startChargingSession(input: $input) {
      id
      status
      startedAt
      station {
        id
        name
      }
      tariff {
        currency
        energyPricePerKwh
      }
      cost {
        total {
          amount
          currency
        }
      }
    }
  }
`;
const METER = gql`
  mutation Meter($input: RecordMeterValueInput!) {
    recordMeterValue(input: $input) {
      id
      energyWh
    }
  }
`;
const STOP = gql`
  mutation Stop($id: ID!) {
    stopChargingSession(id: $id) {
      id
      status
      energyWh
      cost {
        total {
          amount
          currency
        }
      }
    }
  }
`;
const SESSION = gql`
  query Session($id: ID!) {
    chargingSession(id: $id) {
      id
      status
      endedAt
      energyWh
      tariff {
        tariffId
        sessionFee {
          amount
        }
      }
      cost {
        energy {
          amount
          currency
        }
        tax {
          amount
        }
        total {
          amount
        }
      }
      payment {
        id
        status
      }
    }
  }
`;
const CHARGE = gql`
  mutation Charge($sessionId: ID!) {
    chargeSession(sessionId: $sessionId) {
      id
      status
      amount {
        amount
        currency
      }
    }
  }
`;
const PAYMENT = gql`
  query Payment($id: ID!) {
    chargingSession(id: $id) {
      id
      payment {
        id
        status
        capturedAt
        amount {
          amount
        }
        refundedAmount {
          amount
          currency
        }
        refunds {
          id
        }
        receipt {
          number
          amount {
            amount
            currency
          }
        }
      }
    }
  }
`;
const RECEIPT = gql`
  query Receipt($id: ID!) {
    chargingSession(id: $id) {
      id
      payment {
        id
        receipt {
          number
          issuedAt
          cardBrand
          cardLast4
        }
      }
    }
  }
`;

interface Journey {
  total: { amount: number; currency: string };
  payment: { status: string; receipt: { number: string; amount: { amount: number; currency: string } } | null };
  receipt: { number: string; cardLast4: string | null } | null;
  cached: unknown;
}

/** A driver's journey as an app makes it: overlapping queries and mutations, each answer written to the cache. */
async function driverJourney(withPolicies: boolean, connector: number): Promise<Journey> {
  const driver = newDriver();
  const app = await clientFor(driver, withPolicies);
  const backOffice = await clientFor(adminOf(operator.id), withPolicies);
  const query = async <T>(client: Client, document: typeof CATALOGUE, variables: Record<string, unknown> = {}) => {
    const result = await client.query<T>({ query: document, variables, fetchPolicy: 'network-only' });
    expect(result.error).toBeUndefined();
    if (!result.data) throw new Error('no data');
    return result.data;
  };
  const mutate = async <T>(client: Client, document: typeof CATALOGUE, variables: Record<string, unknown>) => {
    const result = await client.mutate<T>({ mutation: document, variables });
    expect(result.error).toBeUndefined();
    if (!result.data) throw new Error('no data');
    return result.data;
  };

  await query(app, CATALOGUE);
  await query(app, CATALOGUE_WITH_PRICES);
  await query(app, STATION, { id: operator.stationId });
  await mutate(app, SAVE_CARD, { pm: 'pm_card_visa' });
  await query(app, MY_CARDS);
  const { startChargingSession: started } = await mutate<{ startChargingSession: { id: string } }>(app, START, {
    input: { stationId: operator.stationId, connectorId: operator.connectorIds[connector] },
  });
  const sessionId = started.id;
  // Test-only: the session started 10 minutes ago, so 12 kWh measured now is plausible for the 150 kW connector.
  await p.stack.subgraphs
    .session!.orm.em.fork()
    .execute(`update charging_session set started_at = started_at - interval '10 minutes' where id = ?`, [sessionId]);
  await query(app, SESSION, { id: sessionId });
  await mutate(backOffice, METER, { input: { sessionId, energyWh: 12_000, measuredAt: new Date().toISOString() } });
  const { stopChargingSession: stopped } = await mutate<{
    stopChargingSession: { status: string; cost: { total: { amount: number; currency: string } } };
  }>(app, STOP, { id: sessionId });
  expect(stopped.status).toBe('COMPLETED');
  await query(app, SESSION, { id: sessionId });
  // The settle job captures the ended session by itself; the app's "charge now" is idempotent on top of it.
  await mutate(app, CHARGE, { sessionId });
  await query(app, SESSION, { id: sessionId });
  const { chargingSession: paid } = await query<{ chargingSession: { payment: Journey['payment'] } }>(app, PAYMENT, {
    id: sessionId,
  });
  const { chargingSession: withReceipt } = await query<{
    chargingSession: { payment: { receipt: Journey['receipt'] } };
  }>(app, RECEIPT, { id: sessionId });
  return {
    total: stopped.cost.total,
    payment: paid.payment,
    receipt: withReceipt.payment.receipt,
    cached: app.cache.extract(),
  };
}

const isCacheWarning = (line: string) => /Cache data may be lost|go\.apollo\.dev\/c\/err/.test(line);

describe('Apollo Client with the published cache policies', () => {
  it('runs the driver journey from the catalogue to the receipt without a cache warning', async () => {
    let journey: Journey | undefined;
    const warnings = await consoleWarnings(async () => void (journey = await driverJourney(true, 0)));
    expect(warnings, 'console warnings with the published policies').toEqual([]);

    // The answers are right, and the cache holds one merged copy of each entity and value.
    expect(journey!.total).toMatchObject({ amount: expect.any(Number), currency: 'EUR' });
    expect(journey!.total.amount).toBeGreaterThan(0);
    expect(journey!.payment.status).toBe('SUCCEEDED');
    expect(journey!.payment.receipt).toMatchObject({ amount: journey!.total });
    expect(journey!.receipt).toMatchObject({ number: journey!.payment.receipt?.number, cardLast4: '4242' });
    const cache = journey!.cached as Record<string, Record<string, unknown>>;
    const payment = Object.entries(cache).find(([key]) => key.startsWith('Payment:'))?.[1];
    // The receipt is a value merged from two queries: the fields of both are there.
    const receipt = payment?.receipt as Record<string, unknown>;
    expect(Object.keys(receipt).sort()).toEqual(
      ['__typename', 'amount', 'cardBrand', 'cardLast4', 'issuedAt', 'number'].sort(),
    );
    const session = Object.entries(cache).find(([key]) => key.startsWith('ChargingSession:'))?.[1];
    expect(Object.keys(session?.cost as object).sort()).toEqual(['__typename', 'energy', 'tax', 'total'].sort());
  }, 60_000);

  it('warns without them (the capture above is not vacuous)', async () => {
    const warnings = await consoleWarnings(async () => void (await driverJourney(false, 1)));
    expect(warnings.filter(isCacheWarning).length, warnings.join('\n')).toBeGreaterThan(0);
    expect(warnings.join('\n')).toMatch(/receipt|cost/);
  }, 60_000);

  it('runs every saved analytics query, twice with other arguments, without a cache warning', async () => {
    const analyst = await clientFor({ role: Role.ANALYST, sub: 'cache-analyst' }, true);
    const warnings = await consoleWarnings(async () => {
      for (const saved of savedQueries) {
        const variables = JSON.parse(
          JSON.stringify(saved.variables ?? {}).replace('OPERATOR_ID', operator.id),
        ) as Record<string, unknown>;
        const today = new Date().toISOString().slice(0, 10);
        const around = { from: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10), to: today };
        for (const period of [variables.period, around]) {
          const result = await analyst.query({
            query: gql(saved.query),
            variables: { ...variables, ...(period ? { period } : {}) },
            fetchPolicy: 'network-only',
          });
          expect(result.error, saved.id).toBeUndefined();
          expect(result.data, saved.id).toBeTruthy();
        }
      }
    });
    expect(warnings, 'console warnings').toEqual([]);
  }, 60_000);

  it('is fed by saved queries that select the identity of every entity they touch', async () => {
    const schema = apiSchema(await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'));
    const entities = new Set<string>(entityTypes);
    const missing: string[] = [];
    for (const saved of savedQueries) {
      const typeInfo = new TypeInfo(schema);
      visit(
        parse(saved.query),
        visitWithTypeInfo(typeInfo, {
          Field(node) {
            const type = getNamedType(typeInfo.getType());
            if (!node.selectionSet || !isObjectType(type) || !entities.has(type.name)) return;
            const selects = node.selectionSet.selections.some((s) => s.kind === 'Field' && s.name.value === 'id');
            if (!selects) missing.push(`${saved.id}: ${node.name.value} (${type.name})`);
          },
        }),
      );
    }
    expect(missing, 'entities selected without their id').toEqual([]);
  });
});
