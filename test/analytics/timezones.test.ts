/**
 * Local dates at the station, at the boundaries: sessions and payments placed minutes either side of midnight in
 * Tokyo (UTC+9) and in UTC, across a week and a month boundary, and a Berlin day that has 25 hours (end of summer
 * time). The expected figures are written out by hand.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import { Role } from '../../platform/identity.js';
import { startTestStack, type GraphQLResponse, type TestStack } from '../support/stack.js';
import { rows } from './support.js';

const analyst: TokenClaims = { role: Role.ANALYST, sub: 'analyst-tz' };
const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-tz' };

let stack: TestStack;
let operatorId: string;
const stations: Record<'tokyo' | 'utc' | 'berlin', { id: string; connectors: string[] }> = {} as never;

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  return response.data as T;
}

interface Charge {
  station: keyof typeof stations;
  start: string;
  end: string;
  kwh: number;
  /** JPY; the payment is captured 10 s after the end. */
  total: number;
  fee?: number;
  refunded?: number;
}

/** A completed, paid session written straight into the session and payment databases (exact instants). */
async function charge(c: Charge): Promise<void> {
  const station = stations[c.station];
  const timeZone = { tokyo: 'Asia/Tokyo', utc: 'UTC', berlin: 'Europe/Berlin' }[c.station];
  const sessionId = randomUUID();
  await rows(
    stack,
    'session',
    `insert into charging_session (id, created_at, updated_at, status, station_id, connector_id, driver_id, operator_id, started_at, ended_at, energy_wh, last_meter_at, time_zone,
       tariff_id, tariff_currency, tariff_energy_price_per_kwh, tariff_time_price_per_hour, tariff_session_fee_amount, tariff_tax_rate_basis_points, tariff_pre_authorization_amount,
       cost_energy, cost_time, cost_session_fee, cost_tax, cost_total)
     values (?, ?, ?, 'COMPLETED', ?, ?, 'tz-driver', ?, ?, ?, ?, ?, ?, ?, 'JPY', 100, 0, 0, 0, 5000, ?, 0, 0, 0, ?)`,
    [
      sessionId,
      c.start,
      c.end,
      station.id,
      station.connectors[0],
      operatorId,
      c.start,
      c.end,
      c.kwh * 1000,
      c.end,
      timeZone,
      randomUUID(),
      c.total,
      c.total,
    ],
  );
  const captured = new Date(Date.parse(c.end) + 10_000).toISOString();
  await rows(
    stack,
    'payment',
    `insert into payment (id, created_at, updated_at, session_id, operator_id, driver_id, attempt, kind, status, currency, amount, application_fee_amount, refunded_amount, captured_at, version, time_zone)
     values (?, ?, ?, ?, ?, 'tz-driver', 1, 'CHARGE', 'SUCCEEDED', 'JPY', ?, ?, ?, ?, 1, ?)`,
    [randomUUID(), c.start, captured, sessionId, operatorId, c.total, c.fee ?? 0, c.refunded ?? 0, captured, timeZone],
  );
}

async function decline(at: string, timeZone: string): Promise<void> {
  await rows(
    stack,
    'payment',
    `insert into payment_decline (id, payment_id, session_id, operator_id, attempt, kind, currency, amount, failure_code, time_zone, declined_at)
     values (?, ?, ?, ?, 1, 'CHARGE', 'JPY', 1000, 'card_declined', ?, ?)`,
    [randomUUID(), randomUUID(), randomUUID(), operatorId, timeZone, at],
  );
}

beforeAll(async () => {
  stack = await startTestStack({ SWEEPER_CRON: 'off' });
  operatorId = ok(
    await stack.query<{ createOperator: { id: string } }>(
      `mutation { createOperator(input: { name: "Zeitzone", country: "JP", defaultCurrency: "JPY", contactEmail: "tz@example.com" }) { id } }`,
      {},
      admin,
    ),
  ).createOperator.id;
  const tariffId = ok(
    await stack.query<{ createTariff: { id: string } }>(
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId,
          name: 'Standard',
          currency: 'JPY',
          energyPricePerKwh: '100',
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: 5000,
        },
      },
      admin,
    ),
  ).createTariff.id;
  for (const [key, timezone, country] of [
    ['tokyo', 'Asia/Tokyo', 'JP'],
    ['utc', 'UTC', 'GB'],
    ['berlin', 'Europe/Berlin', 'DE'],
  ] as const) {
    const created = ok(
      await stack.query<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
        `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
        {
          input: {
            operatorId,
            tariffId,
            name: `Zeitzone ${key}`,
            address: { street: '1 Clock Street', city: key, postalCode: '10000', country },
            location: { latitude: 35, longitude: 139 },
            timezone,
            connectors: [
              { standard: 'CCS2', powerKw: 150 },
              { standard: 'CCS2', powerKw: 150 },
            ],
          },
        },
        admin,
      ),
    ).createStation;
    stations[key] = { id: created.id, connectors: created.connectors.map((c) => c.id) };
  }

  // Tokyo: 23:30 and 00:30 local are the same UTC date (Oct 31 / Nov 1 14:30Z and 15:30Z).
  await charge({
    station: 'tokyo',
    start: '2026-10-31T14:30:00Z',
    end: '2026-10-31T14:50:00Z',
    kwh: 10,
    total: 1000,
    fee: 20,
  }); // Sat 31 Oct 23:30 JST
  await charge({
    station: 'tokyo',
    start: '2026-10-31T15:30:00Z',
    end: '2026-10-31T15:50:00Z',
    kwh: 20,
    total: 2000,
    fee: 40,
    refunded: 500,
  }); // Sun 1 Nov 00:30 JST
  await charge({ station: 'tokyo', start: '2026-11-01T14:30:00Z', end: '2026-11-01T14:50:00Z', kwh: 5, total: 500 }); // Sun 1 Nov 23:30 JST
  await charge({ station: 'tokyo', start: '2026-11-01T15:30:00Z', end: '2026-11-01T15:50:00Z', kwh: 7, total: 700 }); // Mon 2 Nov 00:30 JST
  // UTC: the same wall-clock times are the UTC dates.
  await charge({ station: 'utc', start: '2026-10-31T23:30:00Z', end: '2026-10-31T23:50:00Z', kwh: 30, total: 3000 }); // Sat 31 Oct 23:30
  await charge({ station: 'utc', start: '2026-11-01T00:30:00Z', end: '2026-11-01T00:50:00Z', kwh: 40, total: 4000 }); // Sun 1 Nov 00:30
  // Berlin: 25 Oct 2026 has 25 hours; 00:00 CEST to 12:00 CET is 13 hours. Then a session over midnight 26/27 Oct.
  await charge({ station: 'berlin', start: '2026-10-24T22:00:00Z', end: '2026-10-25T11:00:00Z', kwh: 50, total: 5000 });
  await charge({ station: 'berlin', start: '2026-10-26T22:30:00Z', end: '2026-10-27T00:30:00Z', kwh: 10, total: 1000 }); // Mon 26 Oct 23:30 → Tue 01:30 CET
  // Declines at 23:40 and 00:40 in Tokyo.
  await decline('2026-10-31T14:40:00Z', 'Asia/Tokyo');
  await decline('2026-10-31T15:40:00Z', 'Asia/Tokyo');
}, 120_000);
afterAll(() => stack?.destroy());

const revenue = async (period: { from: string; to: string }, bucket?: string) =>
  ok(
    await stack.query<{
      operator: {
        revenueReport: Array<{
          bucket: string | null;
          gross: { amount: number };
          applicationFees: { amount: number };
          refunded: { amount: number };
          net: { amount: number };
          paymentCount: number;
        }>;
      };
    }>(
      `query ($id: ID!, $period: AnalyticsPeriod!, $bucket: AnalyticsBucket) { operator(id: $id) { revenueReport(period: $period, bucket: $bucket) { bucket gross { amount } applicationFees { amount } refunded { amount } net { amount } paymentCount } } }`,
      { id: operatorId, period, bucket },
      analyst,
    ),
  ).operator.revenueReport.map((r) => ({
    bucket: r.bucket,
    gross: r.gross.amount,
    count: r.paymentCount,
    fees: r.applicationFees.amount,
    refunded: r.refunded.amount,
    net: r.net.amount,
  }));

describe('payments count on the local date of their capture at the station', () => {
  it('October in Tokyo ends at 15:00 UTC, in UTC at midnight', async () => {
    // T1 (Tokyo 31 Oct 23:50), U1 (UTC 31 Oct 23:50), both Berlin sessions; not T2 (Tokyo 1 Nov 00:50 = 31 Oct 15:50 UTC).
    expect(await revenue({ from: '2026-10-01', to: '2026-11-01' })).toEqual([
      { bucket: null, gross: 10_000, count: 4, fees: 20, refunded: 0, net: 9_980 },
    ]);
    expect(await revenue({ from: '2026-11-01', to: '2026-12-01' })).toEqual([
      { bucket: null, gross: 7_200, count: 4, fees: 40, refunded: 500, net: 6_660 },
    ]);
  });

  it('DAY buckets', async () => {
    expect(
      (await revenue({ from: '2026-10-25', to: '2026-11-03' }, 'DAY')).map(({ bucket, gross, count }) => ({
        bucket,
        gross,
        count,
      })),
    ).toEqual([
      { bucket: '2026-10-25', gross: 5_000, count: 1 },
      { bucket: '2026-10-27', gross: 1_000, count: 1 }, // captured 01:30 CET on the 27th
      { bucket: '2026-10-31', gross: 4_000, count: 2 }, // T1 + U1
      { bucket: '2026-11-01', gross: 6_500, count: 3 }, // T2 + T3 + U2
      { bucket: '2026-11-02', gross: 700, count: 1 }, // T4: Monday in Tokyo, still Sunday in UTC
    ]);
  });

  it('WEEK buckets start on Monday, local time', async () => {
    expect(
      (await revenue({ from: '2026-10-26', to: '2026-11-09' }, 'WEEK')).map(({ bucket, gross, count }) => ({
        bucket,
        gross,
        count,
      })),
    ).toEqual([
      { bucket: '2026-10-26', gross: 11_500, count: 6 },
      { bucket: '2026-11-02', gross: 700, count: 1 },
    ]);
  });

  it('MONTH buckets', async () => {
    expect(
      (await revenue({ from: '2026-10-01', to: '2026-12-01' }, 'MONTH')).map(({ bucket, gross, count }) => ({
        bucket,
        gross,
        count,
      })),
    ).toEqual([
      { bucket: '2026-10-01', gross: 10_000, count: 4 },
      { bucket: '2026-11-01', gross: 7_200, count: 4 },
    ]);
  });

  it('declines and refunds in the payment stats', async () => {
    const stats = async (period: { from: string; to: string }) =>
      ok(
        await stack.query<{ operator: { paymentStats: unknown } }>(
          `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { paymentStats(period: $period) { attempts succeeded declined refunded successRate declineRate refundRate } } }`,
          { id: operatorId, period },
          analyst,
        ),
      ).operator.paymentStats;
    expect(await stats({ from: '2026-10-31', to: '2026-11-01' })).toEqual({
      attempts: 3,
      succeeded: 2,
      declined: 1,
      refunded: 0,
      successRate: 2 / 3,
      declineRate: 1 / 3,
      refundRate: 0,
    });
    expect(await stats({ from: '2026-11-01', to: '2026-11-02' })).toEqual({
      attempts: 4,
      succeeded: 3,
      declined: 1,
      refunded: 1,
      successRate: 0.75,
      declineRate: 0.25,
      refundRate: 1 / 3,
    });
    expect(await stats({ from: '2026-12-01', to: '2026-12-02' })).toEqual({
      attempts: 0,
      succeeded: 0,
      declined: 0,
      refunded: 0,
      successRate: null,
      declineRate: null,
      refundRate: null,
    });
  });
});

describe('sessions count on the local date they started at the station', () => {
  const energy = async (key: keyof typeof stations, period: { from: string; to: string }, bucket?: string) =>
    ok(
      await stack.query<{ station: { energy: unknown[] } }>(
        `query ($id: ID!, $period: AnalyticsPeriod!, $bucket: AnalyticsBucket) { station(id: $id) { energy(period: $period, bucket: $bucket) { bucket sessionCount energyKwh averageEnergyKwh averageDurationMinutes } } }`,
        { id: stations[key].id, period, bucket },
        analyst,
      ),
    ).station.energy;

  it('Tokyo at 23:30 and 00:30 local, UTC at 23:30 and 00:30', async () => {
    expect(await energy('tokyo', { from: '2026-10-31', to: '2026-11-03' }, 'DAY')).toEqual([
      { bucket: '2026-10-31', sessionCount: 1, energyKwh: 10, averageEnergyKwh: 10, averageDurationMinutes: 20 },
      { bucket: '2026-11-01', sessionCount: 2, energyKwh: 25, averageEnergyKwh: 12.5, averageDurationMinutes: 20 },
      { bucket: '2026-11-02', sessionCount: 1, energyKwh: 7, averageEnergyKwh: 7, averageDurationMinutes: 20 },
    ]);
    expect(await energy('utc', { from: '2026-10-31', to: '2026-11-01' })).toEqual([
      { bucket: null, sessionCount: 1, energyKwh: 30, averageEnergyKwh: 30, averageDurationMinutes: 20 },
    ]);
    expect(await energy('utc', { from: '2026-11-01', to: '2026-11-02' })).toEqual([
      { bucket: null, sessionCount: 1, energyKwh: 40, averageEnergyKwh: 40, averageDurationMinutes: 20 },
    ]);
    // No sessions: one row of zeros without a bucket, none with one.
    expect(await energy('utc', { from: '2026-12-01', to: '2026-12-02' })).toEqual([
      { bucket: null, sessionCount: 0, energyKwh: 0, averageEnergyKwh: null, averageDurationMinutes: null },
    ]);
    expect(await energy('utc', { from: '2026-12-01', to: '2026-12-02' }, 'DAY')).toEqual([]);
  });

  it('per operator across its three time zones', async () => {
    const data = ok(
      await stack.query<{ operator: { energy: unknown[] } }>(
        `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { energy(period: $period, bucket: MONTH) { bucket sessionCount energyKwh } } }`,
        { id: operatorId, period: { from: '2026-10-01', to: '2026-12-01' } },
        analyst,
      ),
    );
    expect(data.operator.energy).toEqual([
      { bucket: '2026-10-01', sessionCount: 4, energyKwh: 100 }, // T1, U1, both Berlin
      { bucket: '2026-11-01', sessionCount: 4, energyKwh: 72 }, // T2, T3, T4, U2
    ]);
  });
});

describe("utilisation over the station's own hours", () => {
  const utilisation = async (key: keyof typeof stations, period: { from: string; to: string }) =>
    ok(
      await stack.query<{
        station: {
          utilisation: {
            chargingHours: number;
            availableHours: number;
            ratio: number | null;
            connectorCount: number;
            timeZone: string;
          };
        };
      }>(
        `query ($id: ID!, $period: AnalyticsPeriod!) { station(id: $id) { utilisation(period: $period) { chargingHours availableHours ratio connectorCount timeZone } } }`,
        { id: stations[key].id, period },
        analyst,
      ),
    ).station.utilisation;

  it('the last Sunday of October has 25 hours in Berlin', async () => {
    expect(await utilisation('berlin', { from: '2026-10-25', to: '2026-10-26' })).toEqual({
      chargingHours: 13,
      availableHours: 50,
      ratio: 0.26,
      connectorCount: 2,
      timeZone: 'Europe/Berlin',
    });
  });

  it('a session over midnight counts in both days, each with its own part', async () => {
    expect((await utilisation('berlin', { from: '2026-10-26', to: '2026-10-27' })).chargingHours).toBe(0.5);
    expect((await utilisation('berlin', { from: '2026-10-27', to: '2026-10-28' })).chargingHours).toBe(1.5);
  });

  it("Tokyo's day is Tokyo's", async () => {
    const day = await utilisation('tokyo', { from: '2026-10-31', to: '2026-11-01' });
    expect(day).toMatchObject({ availableHours: 48, connectorCount: 2, timeZone: 'Asia/Tokyo' });
    expect(day.chargingHours).toBeCloseTo(1 / 3, 12); // T1 only
  });

  it('a period that has not begun has no available hours yet', async () => {
    expect(await utilisation('utc', { from: '2099-01-01', to: '2099-01-02' })).toMatchObject({
      chargingHours: 0,
      availableHours: 0,
      ratio: null,
    });
  });
});
