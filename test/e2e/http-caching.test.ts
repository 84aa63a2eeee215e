import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../platform/database-admin.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { Role } from '../../platform/identity.js';
import { processMetrics } from '../../platform/metrics.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/*
 * HTTP caching of the public catalogue, through the whole stack over real HTTP: Cache-Control from the fields'
 * @cacheControl hints (catalogue 300 s, connector status 10 s), persisted-query GETs a CDN can cache, and the
 * gateway's shared cache of anonymous answers, on a clock the test moves by hand.
 */
const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-caching' };
const driverA: TokenClaims = { role: Role.DRIVER, sub: 'driver-caching-a' };
const driverB: TokenClaims = { role: Role.DRIVER, sub: 'driver-caching-b' };

const STATIC =
  'query Static($id: ID!) { station(id: $id) { id name address { city } tariff { currency sessionFee { amount } } } }';
const WITH_STATUS = 'query WithStatus($id: ID!) { station(id: $id) { id name connectors { id status } } }';
const MY_SESSIONS = '{ chargingSessions(first: 10) { edges { node { id station { id } } } } }';

let stack: TestStack;
let now = 1_000_000;
let stationId: string;
let connectorId: string;
let secondPlugId: string;

interface GetAnswer {
  status: number;
  cacheControl: string | null;
  vary: string | null;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
}

/** A GET with a persisted query's hash, registering the query on a miss as Apollo Client does. */
async function get(query: string, variables?: Record<string, unknown>, who?: TokenClaims): Promise<GetAnswer> {
  const sha256Hash = createHash('sha256').update(query).digest('hex');
  const headers: Record<string, string> = {
    'apollo-require-preflight': 'true', // Apollo's CSRF prevention wants a header a plain HTML form cannot send
    ...(who ? { authorization: `Bearer ${await stack.token(who)}` } : {}),
  };
  const send = async (withQuery: boolean): Promise<GetAnswer> => {
    const params = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }) });
    if (variables) params.set('variables', JSON.stringify(variables));
    if (withQuery) params.set('query', query);
    const response = await fetch(`${stack.gatewayUrl}?${params}`, { headers });
    return {
      status: response.status,
      cacheControl: response.headers.get('cache-control'),
      vary: response.headers.get('vary'),
      body: (await response.json()) as GetAnswer['body'],
    };
  };
  const first = await send(false);
  const notFound = first.body.errors?.some((error) => error.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND');
  return notFound ? send(true) : first;
}

async function post(query: string, variables: Record<string, unknown>) {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, cacheControl: response.headers.get('cache-control') };
}

async function call<T>(query: string, variables: Record<string, unknown>, who: TokenClaims): Promise<T> {
  const result = await stack.query<T>(query, variables, who);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}

/** Calls the gateway made to the station subgraph so far (its fetch histogram's count). */
async function stationCalls(): Promise<number> {
  const metric = await processMetrics().subgraphFetch.get();
  return metric.values
    .filter((value) => value.metricName?.endsWith('_count') && value.labels.subgraph === 'station')
    .reduce((sum, value) => sum + value.value, 0);
}

beforeAll(async () => {
  stack = await startTestStack({}, { gatewayClock: () => now });
  const { createOperator } = await call<{ createOperator: { id: string } }>(
    `mutation ($i: CreateOperatorInput!) { createOperator(input: $i) { id } }`,
    { i: { name: 'Cache Op', country: 'DE', defaultCurrency: 'EUR', contactEmail: 'cache@example.com' } },
    admin,
  );
  // Post-paid: a driver's session starts without a saved card.
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
        currency: 'EUR',
        energyPricePerKwh: '0.4',
        timePricePerHour: '0',
        sessionFee: 50,
        taxRateBasisPoints: 1900,
        preAuthorizationAmount: 5000,
      },
    },
    admin,
  );
  const { createStation } = await call<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
    `mutation ($i: CreateStationInput!) { createStation(input: $i) { id connectors { id } } }`,
    {
      i: {
        operatorId: createOperator.id,
        name: 'Cached Station',
        tariffId: createTariff.id,
        timezone: 'Europe/Berlin',
        address: { street: 'Main St 1', city: 'Town', postalCode: '12345', country: 'DE' },
        location: { latitude: 50, longitude: 8 },
        connectors: [
          { standard: 'CCS2', powerKw: 150 },
          { standard: 'TYPE2', powerKw: 22 },
        ],
      },
    },
    admin,
  );
  stationId = createStation.id;
  connectorId = createStation.connectors[0].id;
  secondPlugId = createStation.connectors[1].id;
});
afterAll(() => stack?.destroy());

describe('Cache-Control from the fields asked', () => {
  it('answers an anonymous persisted-query GET of static fields public for the catalogue hint (300 s)', async () => {
    const answer = await get(STATIC, { id: stationId });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({
      station: { id: stationId, name: 'Cached Station', tariff: { currency: 'EUR', sessionFee: { amount: 50 } } },
    });
    expect(answer.cacheControl).toBe('public, max-age=300');
    expect(answer.vary).toBe('Authorization');
  });

  it('gives the least hint when a connector status is asked (10 s)', async () => {
    const answer = await get(WITH_STATUS, { id: stationId });
    expect(answer.body.data).toMatchObject({
      station: { connectors: [{ status: 'AVAILABLE' }, { status: 'AVAILABLE' }] },
    });
    expect(answer.cacheControl).toBe('public, max-age=10');
  });

  it("counts the operator subgraph's hints: a station with its operator is public, its payment account is not", async () => {
    const withOperator = await get('query WithOperator($id: ID!) { station(id: $id) { id operator { id name } } }', {
      id: stationId,
    });
    expect(withOperator.body.errors).toBeUndefined();
    expect(withOperator.body.data).toMatchObject({ station: { id: stationId, operator: { name: 'Cache Op' } } });
    expect(withOperator.cacheControl).toBe('public, max-age=300');
    const operators = await get('query Operators { operators(first: 5) { edges { node { id name } } } }');
    expect(operators.body.errors).toBeUndefined();
    expect(operators.cacheControl).toBe('public, max-age=300');
    // Operator fields the payment subgraph adds have no hint: the answer is not cacheable.
    const account = await get(
      'query Account($id: ID!) { station(id: $id) { operator { id paymentAccount { chargesEnabled } } } }',
      { id: stationId },
    );
    expect(account.cacheControl).toBe('private, no-store');
  });

  it('never makes a POST, a mutation, an error or private data cacheable', async () => {
    expect(await post(STATIC, { id: stationId })).toEqual({ status: 200, cacheControl: 'private, no-store' });
    const mutation = await post('mutation { createStation(input: { operatorId: "x" }) { id } }', {});
    expect(mutation.cacheControl).toBe('private, no-store');
    // A station that does not exist: an error with its code, and nothing a cache may keep.
    const missing = await get(STATIC, { id: '00000000-0000-4000-8000-000000000000' });
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(missing.cacheControl).toBe('private, no-store');
    // A field only an operator's admins see (PRIVATE) makes the whole answer uncacheable, even anonymously.
    const chargePoints = await get('query ($id: ID!) { station(id: $id) { id chargePoints { id } } }', {
      id: stationId,
    });
    expect(chargePoints.body.data).toEqual({ station: { id: stationId, chargePoints: null } });
    expect(chargePoints.cacheControl).toBe('private, no-store');
  });
});

describe('personal data', () => {
  it('is answered private, no-store and never reaches another driver or an anonymous caller', async () => {
    const { startChargingSession } = await call<{ startChargingSession: { id: string } }>(
      `mutation ($i: StartChargingSessionInput!) { startChargingSession(input: $i) { id } }`,
      { i: { stationId, connectorId } },
      driverA,
    );
    const ofA = await get(MY_SESSIONS, undefined, driverA);
    expect(ofA.body.data).toEqual({
      chargingSessions: { edges: [{ node: { id: startChargingSession.id, station: { id: stationId } } }] },
    });
    expect(ofA.cacheControl).toBe('private, no-store');
    const ofB = await get(MY_SESSIONS, undefined, driverB);
    expect(ofB.body.data).toEqual({ chargingSessions: { edges: [] } });
    expect(ofB.cacheControl).toBe('private, no-store');
    const anonymous = await get(MY_SESSIONS);
    expect(JSON.stringify(anonymous.body)).not.toContain(startChargingSession.id);
    expect(anonymous.cacheControl).toBe('private, no-store');
  });

  it('an authenticated GET of public data is neither served from nor stored in the shared cache', async () => {
    const query = 'query AuthFirst($id: ID!) { station(id: $id) { id timezone } }';
    const before = await stationCalls();
    const first = await get(query, { id: stationId }, driverA);
    const second = await get(query, { id: stationId }, driverA);
    expect(first.cacheControl).toBe('private, no-store');
    expect(second.cacheControl).toBe('private, no-store');
    expect(await stationCalls()).toBe(before + 2);
    // Nothing was stored for it: the first anonymous GET still goes to the subgraph.
    const anonymous = await get(query, { id: stationId });
    expect(anonymous.cacheControl).toBe('public, max-age=300');
    expect(await stationCalls()).toBe(before + 3);
    // And a stored anonymous answer is not what an authenticated caller gets.
    await get(query, { id: stationId }, driverB);
    expect(await stationCalls()).toBe(before + 4);
  });
});

describe('the shared cache of anonymous answers', () => {
  it('serves an identical anonymous GET without calling the subgraph, with the max-age left, until it expires', async () => {
    const query = 'query Shared($id: ID!) { station(id: $id) { id name location { latitude } } }';
    const before = await stationCalls();
    const first = await get(query, { id: stationId });
    expect(first.cacheControl).toBe('public, max-age=300');
    expect(await stationCalls()).toBe(before + 1);
    now += 100_000;
    const second = await get(query, { id: stationId });
    expect(second.body).toEqual(first.body);
    expect(second.cacheControl).toBe('public, max-age=200');
    expect(await stationCalls()).toBe(before + 1);
    // Other variables are another answer.
    await get(query, { id: '00000000-0000-4000-8000-000000000000' });
    expect(await stationCalls()).toBe(before + 2);
    now += 200_000;
    const expired = await get(query, { id: stationId });
    expect(expired.cacheControl).toBe('public, max-age=300');
    expect(await stationCalls()).toBe(before + 3);
  });

  it('shows a connector status change no later than its 10 s hint, while static fields stay cached', async () => {
    const statusQuery = 'query Status($id: ID!) { station(id: $id) { connectors { id status } } }';
    const staticQuery = 'query Name($id: ID!) { station(id: $id) { name } }';
    const plug = secondPlugId;
    const statusOf = (answer: GetAnswer) =>
      (answer.body.data as { station: { connectors: Array<{ id: string; status: string }> } }).station.connectors.find(
        (connector) => connector.id === plug,
      )?.status;
    const before = await get(statusQuery, { id: stationId });
    expect(statusOf(before)).toBe('AVAILABLE');
    await get(staticQuery, { id: stationId });
    const calls = await stationCalls();
    await call(
      `mutation ($i: SetConnectorStatusInput!) { setConnectorStatus(input: $i) { id status } }`,
      { i: { stationId, connectorId: plug, status: 'OUT_OF_ORDER' } },
      admin,
    );
    now += 5_000; // within the hint the shared answer may still be the old one
    const within = await get(statusQuery, { id: stationId });
    expect(statusOf(within)).toBe('AVAILABLE');
    expect(within.cacheControl).toBe('public, max-age=5');
    now += 5_000; // at the hint, never older
    const after = await get(statusQuery, { id: stationId });
    expect(statusOf(after)).toBe('OUT_OF_ORDER');
    expect(after.cacheControl).toBe('public, max-age=10');
    const name = await get(staticQuery, { id: stationId });
    expect(name.cacheControl).toBe('public, max-age=290');
    expect(await stationCalls()).toBe(calls + 2); // the mutation and the expired status page; the name was shared
  });

  it('answers every one of identical anonymous GETs in flight at once cacheable, not only the first', async () => {
    const query = 'query Crowd($id: ID!) { station(id: $id) { id timezone location { longitude } } }';
    // The station table locked, the first execution waits in PostgreSQL until all five are in flight and share it.
    const lock = new pg.Client({ connectionString: databaseUrl(stack.config, 'station') });
    await lock.connect();
    await get(query, { id: stationId }, driverA); // registers the persisted query, outside the crowd
    const before = await stationCalls();
    await lock.query('begin; lock table "station" in access exclusive mode');
    const crowd = Promise.all(Array.from({ length: 5 }, () => get(query, { id: stationId })));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await lock.query('commit');
    const answers = await crowd;
    await lock.end();
    expect(await stationCalls()).toBe(before + 1);
    for (const answer of answers) {
      expect(answer.body).toEqual(answers[0].body);
      expect(answer.cacheControl).toBe('public, max-age=300');
    }
  });

  it('bounds a stations list filtered by availability by the status hint', async () => {
    const available = await get('{ stations(filter: { availableOnly: true }) { edges { node { id } } } }');
    expect(available.cacheControl).toBe('public, max-age=10');
    const all = await get('{ stations { edges { node { id name } } } }');
    expect(all.cacheControl).toBe('public, max-age=300');
  });
});
