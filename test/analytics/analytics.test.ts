/**
 * Analytics through the gateway over generated history (dev/bulk-data.ts, a smaller run of `npm run seed:bulk`),
 * held against an independent computation: the plain rows of each subgraph's tables, local dates from the
 * JavaScript runtime's time zone database, sums in JavaScript. Also: who may read them, one SQL statement per list,
 * every saved IDE query runs, and the generator's own promises (sizes, ids consistent across databases).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBulk, type BulkResult } from '../../dev/bulk-data.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { Role } from '../../platform/identity.js';
import { countStatements } from '../support/sql-counter.js';
import { startTestStack, type GraphQLResponse, type TestStack } from '../support/stack.js';
import {
  closeTo,
  declineRows,
  expectedEnergy,
  expectedRevenue,
  expectedStats,
  expectedUtilisation,
  paymentRows,
  rows,
  sessionRows,
  subgraph,
  type Bucket,
  type DeclineRow,
  type EnergyFigures,
  type PaymentRow,
  type SessionRow,
} from './support.js';

const analyst: TokenClaims = { role: Role.ANALYST, sub: 'analyst-1' };
const platformAdmin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-1' };
const adminOf = (operatorId: string): TokenClaims => ({
  role: Role.OPERATOR_ADMIN,
  sub: `admin-${operatorId.slice(0, 6)}`,
  operatorId,
});

const OCTOBER = { from: '2026-10-01', to: '2026-11-01' };
const YEAR = { from: '2025-11-01', to: '2026-11-01' };

let stack: TestStack;
let bulk: BulkResult;
let payments: PaymentRow[];
let declines: DeclineRow[];
let sessions: SessionRow[];

beforeAll(async () => {
  stack = await startTestStack({ SWEEPER_CRON: 'off' });
  bulk = await seedBulk(stack.config, { sessions: 1500, end: '2026-11-01', days: 365 });
  bulk = await seedBulk(stack.config, { sessions: 1500, end: '2026-11-01', days: 365 }); // appends
  [payments, declines, sessions] = await Promise.all([paymentRows(stack), declineRows(stack), sessionRows(stack)]);
}, 180_000);
afterAll(() => stack?.destroy());

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  if (!response.data) throw new Error('no data');
  return response.data;
}

const REVENUE = `bucket currency gross { amount currency } applicationFees { amount } refunded { amount } net { amount } paymentCount`;
const ENERGY = 'bucket sessionCount energyKwh averageEnergyKwh averageDurationMinutes';

function expectEnergy(actual: EnergyFigures[] | null, expected: EnergyFigures[]) {
  expect(actual?.map((e) => e.bucket)).toEqual(expected.map((e) => e.bucket));
  actual?.forEach((row, i) => {
    expect(row.sessionCount).toBe(expected[i].sessionCount);
    for (const field of ['energyKwh', 'averageEnergyKwh', 'averageDurationMinutes'] as const) {
      expect(closeTo(row[field], expected[i][field]), `${field} ${row[field]} ≠ ${expected[i][field]}`).toBe(true);
    }
  });
}

describe('the bulk generator', () => {
  it('makes ≥ 20 operators and ≥ 1000 stations, appends sessions, and keeps ids consistent across databases', async () => {
    expect(bulk.operators.length).toBeGreaterThanOrEqual(20);
    expect(bulk.stationCount).toBeGreaterThanOrEqual(1000);
    expect(bulk.sessionsTotal).toBe(3000);
    expect(sessions).toHaveLength(3000);
    const [{ count: stationCount }] = await rows<{ count: string }>(
      stack,
      'station',
      'select count(*) as count from station',
    );
    expect(Number(stationCount)).toBe(bulk.stationCount);

    // Every payment names a session the session database holds, with its operator; every completed session is paid or declined.
    const sessionById = new Map(
      (
        await rows<{ id: string; operator_id: string; status: string; cost_total: number; time_zone: string }>(
          stack,
          'session',
          'select id, operator_id, status, cost_total, time_zone from charging_session',
        )
      ).map((s) => [s.id, s]),
    );
    const paid = await rows<{ session_id: string; operator_id: string; amount: number; time_zone: string }>(
      stack,
      'payment',
      'select session_id, operator_id, amount, time_zone from payment',
    );
    expect(paid.length).toBeGreaterThan(2800);
    for (const p of paid) {
      const s = sessionById.get(p.session_id);
      expect(s, p.session_id).toBeDefined();
      expect(s).toMatchObject({
        operator_id: p.operator_id,
        status: 'COMPLETED',
        cost_total: p.amount,
        time_zone: p.time_zone,
      });
    }
    // Declines, refunds and failures are all there; the sessions span the whole year.
    expect(declines.length).toBeGreaterThan(100);
    expect(payments.some((p) => p.status === 'FAILED')).toBe(true);
    expect(payments.some((p) => p.refunded_amount > 0 && p.refunded_amount < p.amount)).toBe(true);
    expect(payments.some((p) => p.refunded_amount === p.amount)).toBe(true);
    const months = new Set(sessions.map((s) => s.started_at.toISOString().slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(12);
  });
});

describe('analytics equal an independent computation', () => {
  it('revenue per operator and currency over October, for every operator in one list', async () => {
    const data = ok(
      await stack.query<{ operators: { edges: Array<{ node: { id: string; revenueReport: unknown[] } }> } }>(
        `query ($period: AnalyticsPeriod!) { operators(first: 50) { edges { node { id revenueReport(period: $period) { ${REVENUE} } } } } }`,
        { period: OCTOBER },
        analyst,
      ),
    );
    const nodes = data.operators.edges.map((e) => e.node);
    expect(nodes.length).toBe(bulk.operators.length);
    let withRevenue = 0;
    for (const node of nodes) {
      const expected = expectedRevenue(payments, node.id, OCTOBER);
      expect(node.revenueReport, node.id).toEqual(expected);
      if (expected.length) withRevenue++;
    }
    expect(withRevenue).toBeGreaterThan(15);
  });

  it.each([
    ['DAY', OCTOBER],
    ['WEEK', OCTOBER],
    ['MONTH', YEAR],
  ] as Array<[Bucket, typeof OCTOBER]>)(
    "revenue in %s buckets, in the stations' own time zones",
    async (bucket, period) => {
      // The biggest operator, one with three US zones, Kathmandu (+5:45) and Auckland (+13 in summer).
      const picked = [
        bulk.operators[0],
        ...bulk.operators.filter((o) => o.timeZones.some((z) => /Chicago|Kathmandu|Auckland/.test(z))),
      ];
      for (const operator of picked) {
        const data = ok(
          await stack.query<{ operator: { revenueReport: unknown[] } }>(
            `query ($id: ID!, $period: AnalyticsPeriod!, $bucket: AnalyticsBucket) { operator(id: $id) { revenueReport(period: $period, bucket: $bucket) { ${REVENUE} } } }`,
            { id: operator.id, period, bucket },
            analyst,
          ),
        );
        const expected = expectedRevenue(payments, operator.id, period, bucket);
        expect(expected.length).toBeGreaterThan(0);
        expect(data.operator.revenueReport, operator.name).toEqual(expected);
      }
    },
  );

  it('payment success, decline and refund counts and rates', async () => {
    const data = ok(
      await stack.query<{
        operators: { edges: Array<{ node: { id: string; paymentStats: Record<string, number | null> } }> };
      }>(
        `query ($period: AnalyticsPeriod!) { operators(first: 50) { edges { node { id paymentStats(period: $period) { attempts succeeded declined refunded successRate declineRate refundRate } } } } }`,
        { period: YEAR },
        platformAdmin,
      ),
    );
    let declinedSomewhere = 0;
    for (const { node } of data.operators.edges) {
      const expected = expectedStats(payments, declines, node.id, YEAR);
      expect(node.paymentStats).toMatchObject(expected);
      expect(
        closeTo(node.paymentStats.successRate, expected.attempts ? expected.succeeded / expected.attempts : null),
      ).toBe(true);
      expect(
        closeTo(node.paymentStats.declineRate, expected.attempts ? expected.declined / expected.attempts : null),
      ).toBe(true);
      expect(
        closeTo(node.paymentStats.refundRate, expected.succeeded ? expected.refunded / expected.succeeded : null),
      ).toBe(true);
      if (expected.declined) declinedSomewhere++;
    }
    expect(declinedSomewhere).toBeGreaterThan(10);
  });

  it('energy, session count and averages per operator, by week', async () => {
    const data = ok(
      await stack.query<{ operators: { edges: Array<{ node: { id: string; energy: EnergyFigures[] } }> } }>(
        `query ($period: AnalyticsPeriod!) { operators(first: 50) { edges { node { id energy(period: $period, bucket: WEEK) { ${ENERGY} } } } } }`,
        { period: OCTOBER },
        analyst,
      ),
    );
    for (const { node } of data.operators.edges)
      expectEnergy(
        node.energy,
        expectedEnergy(sessions, (s) => s.operator_id === node.id, OCTOBER, 'WEEK'),
      );
  });

  it('energy and utilisation per station (the busiest ten, and one without sessions)', async () => {
    const counts = new Map<string, number>();
    for (const s of sessions) counts.set(s.station_id, (counts.get(s.station_id) ?? 0) + 1);
    const stationIds = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([id]) => id);
    const idle = bulk.operators.flatMap((o) => o.stationIds).find((id) => !counts.has(id));
    if (idle) stationIds.push(idle);
    const connectors = new Map(
      (
        await rows<{ station_id: string; n: string }>(
          stack,
          'station',
          'select station_id, count(*) as n from connector group by station_id',
        )
      ).map((r) => [r.station_id, Number(r.n)]),
    );
    type Node = {
      id: string;
      timezone: string;
      connectorCount: number;
      energy: EnergyFigures[];
      utilisation: {
        chargingHours: number;
        availableHours: number;
        ratio: number | null;
        connectorCount: number;
        timeZone: string;
      };
    };
    for (const id of stationIds) {
      const data = ok(
        await stack.query<{ station: Node }>(
          `query ($id: ID!, $period: AnalyticsPeriod!) { station(id: $id) { id timezone connectorCount energy(period: $period) { ${ENERGY} } utilisation(period: $period) { chargingHours availableHours ratio connectorCount timeZone } } }`,
          { id, period: OCTOBER },
          analyst,
        ),
      );
      const station = data.station;
      expect(station.connectorCount).toBe(connectors.get(id));
      expectEnergy(
        station.energy,
        expectedEnergy(sessions, (s) => s.station_id === id, OCTOBER),
      );
      const expected = expectedUtilisation(sessions, id, station.timezone, station.connectorCount, OCTOBER);
      expect(station.utilisation).toMatchObject({ connectorCount: station.connectorCount, timeZone: station.timezone });
      for (const field of ['chargingHours', 'availableHours', 'ratio'] as const) {
        expect(
          closeTo(station.utilisation[field], expected[field]),
          `${id} ${field}: ${station.utilisation[field]} ≠ ${expected[field]}`,
        ).toBe(true);
      }
    }
  });
});

describe('how it runs', () => {
  it('answers a list of operators with one SQL statement per subgraph and question', async () => {
    const query = `query ($period: AnalyticsPeriod!) { operators(first: 50) { edges { node { name revenueReport(period: $period, bucket: WEEK) { currency paymentCount } paymentStats(period: $period) { attempts } energy(period: $period) { sessionCount } } } } }`;
    let response: GraphQLResponse<unknown> | undefined;
    const paymentStatements = await countStatements(subgraph(stack, 'payment').orm, async () => {
      const sessionStatements = await countStatements(subgraph(stack, 'session').orm, async () => {
        response = await stack.query(query, { period: OCTOBER }, analyst);
      });
      expect(sessionStatements).toBe(1);
    });
    ok(response!);
    expect(paymentStatements).toBe(2); // revenue, payment stats
  });

  it('runs every saved IDE query as an analyst', async () => {
    for (const saved of savedQueries) {
      const variables = JSON.parse(JSON.stringify(saved.variables ?? {}).replace('OPERATOR_ID', bulk.operators[0].id));
      const response = await stack.query<Record<string, unknown>>(saved.query, variables, analyst);
      expect(response.errors, saved.id).toBeUndefined();
      expect(JSON.stringify(response.data), saved.id).toMatch(
        /"(amount|sessionCount|chargingHours|attempts|energyPricePerKwh)":\s*("|[1-9]|0\.\d*[1-9])/,
      ); // something non-zero
    }
  });
});

describe('who may read analytics', () => {
  const FIELDS = `name revenueReport(period: $period) { currency } paymentStats(period: $period) { attempts } energy(period: $period) { sessionCount }`;
  const ask = (who: TokenClaims | undefined, operatorId: string) =>
    stack.query<{ operator: Record<string, unknown> }>(
      `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { ${FIELDS} } }`,
      { id: operatorId, period: OCTOBER },
      who,
    );

  it('analysts and platform admins read every operator; an operator admin its own', async () => {
    const [own] = bulk.operators;
    for (const who of [analyst, platformAdmin, adminOf(own.id)]) {
      const data = ok(await ask(who, own.id));
      expect(data.operator.revenueReport).toEqual(
        expectedRevenue(payments, own.id, OCTOBER).map(({ currency }) => ({ currency })),
      );
    }
  });

  it("an operator admin reads no other operator's analytics; the rest of the operator still answers", async () => {
    const [own, other] = bulk.operators;
    const response = await ask(adminOf(own.id), other.id);
    expect(response.data?.operator).toEqual({
      name: other.name,
      revenueReport: null,
      paymentStats: null,
      energy: null,
    });
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    const station = await stack.query<{ station: unknown }>(
      `query ($id: ID!, $period: AnalyticsPeriod!) { station(id: $id) { name energy(period: $period) { sessionCount } utilisation(period: $period) { ratio } } }`,
      { id: other.stationIds[0], period: OCTOBER },
      adminOf(own.id),
    );
    expect(station.data?.station).toMatchObject({ energy: null, utilisation: null });
    expect(station.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });

  it('drivers and partners are FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
    const [operator] = bulk.operators;
    for (const [who, code] of [
      [{ role: Role.DRIVER, sub: 'driver-1' }, 'FORBIDDEN'],
      [{ role: Role.PARTNER, sub: 'partner-1' }, 'FORBIDDEN'],
      [undefined, 'UNAUTHENTICATED'],
    ] as Array<[TokenClaims | undefined, string]>) {
      const response = await ask(who, operator.id);
      expect(response.data?.operator).toEqual({
        name: operator.name,
        revenueReport: null,
        paymentStats: null,
        energy: null,
      });
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual([code, code, code]);
    }
  });

  it('refuses a period that ends before it starts or spans more than 366 days', async () => {
    const [operator] = bulk.operators;
    for (const period of [
      { from: '2026-10-02', to: '2026-10-01' },
      { from: '2025-01-01', to: '2026-10-01' },
    ]) {
      const response = await stack.query(
        `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { revenueReport(period: $period) { currency } } }`,
        { id: operator.id, period },
        analyst,
      );
      expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const from of ['2026-02-30', 'yesterday']) {
      const malformed = await stack.query(
        `query ($id: ID!) { operator(id: $id) { revenueReport(period: { from: "${from}", to: "2026-03-01" }) { currency } } }`,
        { id: operator.id },
        analyst,
      );
      expect(malformed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period.from' });
    }
  });
});
