import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { gatewayDatabaseUrl, RATE_LIMIT_TABLE } from '../../gateway/rate-limit.js';
import { loadConfig } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
import { createLogger } from '../../platform/logger.js';
import type { PaymentStack } from '../payment/support.js';
import { buildChargerFixtures, chargerProbes, closeChargerFixtures, type ChargerFixtures } from './chargers.js';
import { credentialProbes, prototypeRoleProbes, subgraphBodyProbes } from './credentials.js';
import { crossTenantProbes, PSEUDONYM } from './cross-tenant.js';
import { malformedProbes } from './malformed.js';
import { startPaymentStack } from '../payment/support.js';
import { at, buildFixtures, gql, http, probe, runProbe, Tally, type Fixtures, type Probe } from './support.js';

/*
 * The abuse suite: one platform (gateway, four subgraphs, OCPP process, Stripe emulator) for the whole file, two
 * tenants with stations, tariffs, drivers, cards, sessions, payments and refunds (and, for the hostile chargers,
 * charge points with running sessions), then several hundred hostile requests and frames. Every
 * one must be refused precisely, change nothing (every row of every subgraph database, the provider's balances and
 * writes) and leak nothing. The summary line is printed at the end.
 */

let p: PaymentStack;
let f: Fixtures;
const tally = new Tally();
const started = performance.now();

beforeAll(async () => {
  // The probes send hundreds of mutations as the same few identities; the limit itself is tested on its own below.
  // Chargers likewise: the well-behaved ones answer a heartbeat after every probe; the flood probes read the limit.
  p = await startPaymentStack({ RATE_LIMIT_MUTATIONS: '1000000', OCPP_RATE_LIMIT_MESSAGES: '200' });
  f = await buildFixtures(p);
});

afterAll(async () => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.info(`${tally.summary()} (${tally.serverErrors} 5xx, ${seconds} s)`);
  await p?.destroy();
  expect(tally.leaked).toBe(0);
  expect(tally.serverErrors).toBe(0);
});

function run(family: string, probes: Probe[]) {
  describe(family, () => {
    for (const one of probes) {
      it(one.name, () => runProbe(f, tally, one));
    }
  });
}

for (const [family, probes] of Object.entries(crossTenantProbes())) run(family, probes);
for (const [family, probes] of Object.entries(credentialProbes())) run(family, probes);
run('client tokens with prototype role names', prototypeRoleProbes());
run('subgraph bodies without a signature', subgraphBodyProbes());
for (const [family, probes] of Object.entries(malformedProbes())) run(`malformed: ${family}`, probes);

describe('the probes are not vacuous: the owners see their own data', () => {
  it("the platform admin sees both tenants' payments and the real driver ids", async () => {
    const result = await gql(
      f,
      `query ($id: ID!) { operator(id: $id) { payments { edges { node { id session { driverId } } } } } }`,
      { id: f.B.operator.id },
      f.platform,
    );
    expect(result.body?.errors).toBeUndefined();
    const nodes = (
      at(result, 'operator', 'payments', 'edges') as Array<{ node: { id: string; session: { driverId: string } } }>
    ).map((e) => e.node);
    expect(nodes.map((n) => n.id).sort()).toEqual([f.B.paymentId, f.B.heldPaymentId].sort());
    expect(nodes.every((n) => n.session.driverId === f.B.driver.sub)).toBe(true);
  });

  it("operator A's admin sees its account, payments, refunds and sessions with real driver ids", async () => {
    const result = await gql(
      f,
      `query ($id: ID!) { operator(id: $id) { paymentAccount { chargesEnabled } payments { edges { node { id refunds { id } session { driverId } } } } stations { edges { node { sessions { edges { node { driverId } } } } } } } }`,
      { id: f.A.operator.id },
      f.A.admin,
    );
    expect(result.body?.errors).toBeUndefined();
    expect(at(result, 'operator', 'paymentAccount')).toEqual({ chargesEnabled: true });
    const payments = (
      at(result, 'operator', 'payments', 'edges') as Array<{
        node: { id: string; refunds: Array<{ id: string }>; session: { driverId: string } };
      }>
    ).map((e) => e.node);
    expect(payments.find((n) => n.id === f.A.paymentId)?.refunds).toEqual([{ id: f.A.refundId }]);
    expect(payments.every((n) => n.session.driverId === f.A.driver.sub)).toBe(true);
    expect(result.text).not.toMatch(/acct_|pi_|pm_|cus_/);
  });

  it('driver A sees their own sessions, payments (with the card on the receipt) and cards', async () => {
    const result = await gql(
      f,
      `query ($id: ID!) { chargingSession(id: $id) { driverId payment { id receipt { cardLast4 } refunds { id } } } myPaymentMethods { id last4 } }`,
      { id: f.A.paidSessionId },
      f.A.driver,
    );
    expect(result.body?.errors).toBeUndefined();
    expect(result.body?.data).toEqual({
      chargingSession: {
        driverId: f.A.driver.sub,
        payment: { id: f.A.paymentId, receipt: { cardLast4: '4242' }, refunds: [{ id: f.A.refundId }] },
      },
      myPaymentMethods: [{ id: f.A.cardId, last4: '4242' }],
    });
  });

  it("the operator sees the receipt of a payment it received, without the driver's card", async () => {
    const result = await gql(
      f,
      `query ($id: ID!) { chargingSession(id: $id) { payment { receipt { number cardBrand cardLast4 } } } }`,
      { id: f.A.paidSessionId },
      f.A.admin,
    );
    expect(result.body?.errors).toBeUndefined();
    expect(at(result, 'chargingSession', 'payment', 'receipt')).toMatchObject({ cardBrand: null, cardLast4: null });
  });

  it('analysts get one stable pseudonym per driver, different between drivers, and the revenue aggregates', async () => {
    const pseudonym = async (sessionId: string) =>
      at(
        await gql(f, `query ($id: ID!) { chargingSession(id: $id) { driverId } }`, { id: sessionId }, f.analyst),
        'chargingSession',
        'driverId',
      ) as string;
    const [a1, a2, b1] = [
      await pseudonym(f.A.paidSessionId),
      await pseudonym(f.A.activeSessionId),
      await pseudonym(f.B.paidSessionId),
    ];
    expect(a1).toMatch(PSEUDONYM);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b1);
    const revenue = await gql(
      f,
      `query ($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { operator(id: $id) { revenue(from: $from, to: $to) { currency paymentCount } } }`,
      {
        id: f.A.operator.id,
        from: new Date(Date.now() - 86_400_000).toISOString(),
        to: new Date(Date.now() + 86_400_000).toISOString(),
      },
      f.analyst,
    );
    expect(revenue.body?.errors).toBeUndefined();
    expect(at(revenue, 'operator', 'revenue')).toEqual([{ currency: 'EUR', paymentCount: 1 }]);
  });
});

describe('per-identity mutation rate limit, shared by gateway replicas through PostgreSQL', () => {
  const LIMIT = 5;
  let replicas: Gateway[] = [];
  let urls: string[] = [];
  const REMOVE = 'mutation ($id: ID!) { removePaymentMethod(id: $id) }';
  const unknownCard = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

  beforeAll(async () => {
    // Two more gateways on the same subgraphs and the same gateway database, with a small limit, behind one proxy.
    const config = loadConfig({
      ...p.stack.config.env,
      RATE_LIMIT_MUTATIONS: String(LIMIT),
      RATE_LIMIT_WINDOW_SECONDS: '60',
      RATE_LIMIT_TRUSTED_PROXIES: '1',
    });
    const supergraphSdl = await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    for (let i = 0; i < 2; i++)
      replicas.push(await createGateway({ config, logger: createLogger('gateway', 'silent'), supergraphSdl }));
    urls = await Promise.all(replicas.map((replica) => replica.listen(0)));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    replicas = [];
  });

  const send =
    (
      replica: number,
      query: string,
      variables: Record<string, unknown>,
      who?: { role: Role.DRIVER; sub: string },
      forwardedFor = '203.0.113.7',
    ) =>
    async () =>
      http(urls[replica], {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': forwardedFor,
          'x-chargegraph-peer': '198.51.100.1', // whatever a client claims here is overwritten
          ...(who ? { authorization: `Bearer ${await p.stack.token(who)}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
  const limited = {
    status: 429,
    code: 'RATE_LIMITED',
    check: (result: { headers: Headers; body?: { errors?: Array<{ extensions?: Record<string, unknown> }> } }) => {
      const retryAfter = Number(result.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(result.body?.errors?.[0].extensions?.retryAfterSeconds).toBe(retryAfter);
    },
  };

  it("counts a subject's mutations across replicas and answers the one over the limit with 429 and Retry-After", async () => {
    const who = { role: Role.DRIVER as const, sub: 'rate-limited-driver-1' };
    for (let i = 0; i < LIMIT; i++)
      await runProbe(
        f,
        tally,
        probe(`mutation ${i + 1} of ${LIMIT}`, send(i % 2, REMOVE, { id: unknownCard }, who), {
          status: 200,
          code: 'NOT_FOUND',
        }),
      );
    await runProbe(
      f,
      tally,
      probe('mutation over the limit on replica 1', send(0, REMOVE, { id: unknownCard }, who), limited),
    );
    await runProbe(
      f,
      tally,
      probe('mutation over the limit on replica 2', send(1, REMOVE, { id: unknownCard }, who), limited),
    );
    // Queries are not counted; another subject has a budget of its own.
    const query = await send(0, '{ myPaymentMethods { id } }', {}, who)();
    expect(query.body).toEqual({ data: { myPaymentMethods: [] } });
    await runProbe(
      f,
      tally,
      probe(
        'another subject',
        send(1, REMOVE, { id: unknownCard }, { role: Role.DRIVER, sub: 'rate-limited-driver-2' }),
        { status: 200, code: 'NOT_FOUND' },
      ),
    );
  });

  it('counts every aliased mutation field', async () => {
    const who = { role: Role.DRIVER as const, sub: 'rate-limited-driver-3' };
    const aliased = `mutation ($id: ID!) { ${Array.from({ length: LIMIT + 1 }, (_, i) => `r${i}: removePaymentMethod(id: $id)`).join(' ')} }`;
    await runProbe(
      f,
      tally,
      probe(
        'one operation with more mutation fields than the limit',
        send(0, aliased, { id: unknownCard }, who),
        limited,
      ),
    );
  });

  it('counts anonymous callers per client address (X-Forwarded-For from one trusted proxy)', async () => {
    const anonymous = (replica: number, address: string) =>
      send(replica, REMOVE, { id: unknownCard }, undefined, `10.9.8.7, ${address}`);
    for (let i = 0; i < LIMIT; i++)
      await runProbe(
        f,
        tally,
        probe(`anonymous mutation ${i + 1}`, anonymous(i % 2, '192.0.2.10'), { status: 200, code: 'UNAUTHENTICATED' }),
      );
    await runProbe(f, tally, probe('anonymous mutation over the limit', anonymous(0, '192.0.2.10'), limited));
    await runProbe(
      f,
      tally,
      probe('anonymous mutation from another address', anonymous(1, '192.0.2.11'), {
        status: 200,
        code: 'UNAUTHENTICATED',
      }),
    );
  });

  it("keeps limiting, in memory, when its database is unreachable, and does not hold the gateway's start", async () => {
    const config = loadConfig({
      ...p.stack.config.env,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      RATE_LIMIT_MUTATIONS: '2',
    });
    const supergraphSdl = await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    const startedAt = performance.now();
    const gateway = await createGateway({ config, logger: createLogger('gateway', 'silent'), supergraphSdl });
    try {
      expect(performance.now() - startedAt).toBeLessThan(10_000);
      const url = await gateway.listen(0);
      const who = { role: Role.DRIVER as const, sub: 'rate-limited-driver-4' };
      const call = async () =>
        http(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await p.stack.token(who)}` },
          body: JSON.stringify({ query: REMOVE, variables: { id: unknownCard } }),
        });
      for (let i = 0; i < 2; i++)
        await runProbe(
          f,
          tally,
          probe(`mutation ${i + 1} without the counters' database`, call, { status: 200, code: 'NOT_FOUND' }),
        );
      await runProbe(f, tally, probe("mutation over the limit without the counters' database", call, limited));
    } finally {
      await gateway.close();
    }
  });

  it("keeps its counters in the gateway's own database, keyed by a hash (no subject or address stored)", async () => {
    const client = new pg.Client({ connectionString: gatewayDatabaseUrl(p.stack.config) });
    await client.connect();
    try {
      const { rows } = await client.query<{ key: string }>(`select key from ${RATE_LIMIT_TABLE}`);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      expect(rows.map((r) => r.key).join(' ')).not.toMatch(/rate-limited-driver|192\.0\.2/);
    } finally {
      await client.end();
    }
  });
});

// Last: its charge points, sessions and holds are not in what the checks above expect, and closing its chargers
// at the end writes their presence.
describe('hostile chargers', () => {
  let chargers: ChargerFixtures | undefined;
  beforeAll(async () => {
    chargers = await buildChargerFixtures(f);
  });
  afterAll(() => closeChargerFixtures(chargers));
  const get = () => {
    if (!chargers) throw new Error('charger fixtures not built');
    return chargers;
  };
  for (const [family, probes] of Object.entries(chargerProbes(get))) run(`chargers: ${family}`, probes);
});
