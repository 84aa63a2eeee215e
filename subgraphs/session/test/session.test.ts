import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GraphQLFormattedError } from 'graphql';
import type { Identity } from '../../../platform/identity.js';
import { createTestSubgraph } from '../../../test/support/subgraph.js';
import { testConfig } from '../../../test/support/config.js';
import { MeterValue } from '../session/meter-value.entity.js';
import { ChargingSession } from '../session/session.entity.js';
import { sessionSubgraph } from '../index.js';
import {
  GET,
  START,
  UNKNOWN_ID,
  adminOf,
  analyst,
  backdate,
  chargerService,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  deadUrl,
  errorCode,
  newDriver,
  platformAdmin,
  recordMeter,
  rowCounts,
  setConnectorStatus,
  start,
  startHarness,
  startOk,
  stop,
  type CreatedStation,
  type Harness,
  type SessionView,
} from './harness.js';

let h: Harness;
let operatorId: string;
let tariffId: string;
let otherOperatorId: string;
beforeAll(async () => {
  h = await startHarness();
  operatorId = await createOperator(h, 'Voltia');
  tariffId = await createTariff(h, operatorId);
  otherOperatorId = await createOperator(h, 'Rival');
});
afterAll(() => h.destroy());

type Result = { data?: unknown; errors?: readonly GraphQLFormattedError[] };

/** Runs a call that must fail with `code` and leave every session table as it was. */
async function refused(code: string, call: () => Promise<Result>): Promise<Result> {
  const before = await rowCounts(h);
  const result = await call();
  expect(result.data).toBeNull();
  expect(errorCode(result), JSON.stringify(result.errors)).toBe(code);
  expect(await rowCounts(h)).toEqual(before);
  return result;
}

const money = (amount: number) => ({ amount, currency: 'EUR' });
const cost = (energy: number, time: number, sessionFee: number, tax: number, total: number) => ({
  energy: money(energy),
  time: { amount: time },
  sessionFee: { amount: sessionFee },
  tax: { amount: tax },
  total: money(total),
});

const freshStation = (connectors = 2) => createStation(h, operatorId, tariffId, connectors);

describe('a charging session from start to stop', () => {
  it('is priced exactly from the tariff snapshot taken at start', async () => {
    const station = await freshStation();
    const driver = newDriver();
    const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
    vi.useFakeTimers({ toFake: ['Date'] }); // only the clock: I/O timers stay real
    try {
      vi.setSystemTime(t0);
      const started = await startOk(h, driver, station.id, station.connectors[0].id);
      expect(started).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'ACTIVE',
        connectorId: station.connectors[0].id,
        driverId: driver.sub,
        startedAt: t0.toISOString(),
        endedAt: null,
        energyWh: 0,
        station: { id: station.id },
        operator: { id: operatorId },
        tariff: {
          tariffId,
          currency: 'EUR',
          energyPricePerKwh: '0.349',
          timePricePerHour: '1.2',
          sessionFee: money(50),
          taxRateBasisPoints: 1900,
          preAuthorization: money(5000),
        },
        cost: cost(0, 0, 50, 10, 60), // fee 50 + tax 9.5 → 10
      });

      // The operator moves the station to a dearer tariff while the driver charges: the session keeps its snapshot.
      const dearer = await createTariff(h, operatorId, {
        energyPricePerKwh: '0.79',
        timePricePerHour: '6',
        sessionFee: 500,
        taxRateBasisPoints: 2000,
      });
      dataOf(
        await h.station.run(
          `mutation ($id: ID!, $input: UpdateStationInput!) { updateStation(id: $id, input: $input) { id } }`,
          { id: station.id, input: { tariffId: dearer } },
          platformAdmin,
        ),
      );

      vi.setSystemTime(at(600));
      const first = dataOf(await recordMeter(h, adminOf(operatorId), started.id, 5_000, at(599))).recordMeterValue;
      // energy 5 kWh × 0.349 = 1.745 → 175; time 600 s × 1.2/h = 0.20 → 20; fee 50; subtotal 245; tax 46.55 → 47
      expect(first).toMatchObject({ energyWh: 5_000, tariff: { tariffId }, cost: cost(175, 20, 50, 47, 292) });

      vi.setSystemTime(at(1_815));
      dataOf(await recordMeter(h, chargerService, started.id, 12_345, at(1_815)));

      vi.setSystemTime(at(1_815.9));
      const stopped = dataOf(await stop(h, driver, started.id)).stopChargingSession;
      // energy 12.345 kWh × 0.349 = 4.308405 → 431; time 1815 whole s × 1.2/h = 0.605 → 61; fee 50
      // tax 19 % per line: 81.89 → 82, 11.59 → 12, 9.5 → 10 = 104; total 646
      expect(stopped).toMatchObject({
        status: 'COMPLETED',
        endedAt: at(1_815.9).toISOString(),
        energyWh: 12_345,
        tariff: { tariffId },
        cost: cost(431, 61, 50, 104, 646),
      });

      // Later reads return the fixed amounts, not a price that keeps growing with time.
      vi.setSystemTime(at(7_200));
      const later = dataOf(
        await h.session.run<{ chargingSession: SessionView }>(GET, { id: started.id }, driver),
      ).chargingSession;
      expect(later).toEqual({ ...stopped, cost: cost(431, 61, 50, 104, 646) });
      expect(later.tariff).toEqual(started.tariff); // read back from numeric(18,6) columns unchanged
      const row = await h.session.orm.em.fork().findOneOrFail(ChargingSession, { id: started.id }, { populate: ['*'] });
      expect(row.finalPrice).toEqual({ energy: 431, time: 61, sessionFee: 50, tax: 104, total: 646 });
      const audit = await h.session.orm.em
        .fork()
        .getConnection()
        .execute<Array<{ energy_wh: number; recorded_by: string }>>(
          'select energy_wh, recorded_by from meter_value where session_id = ? order by measured_at',
          [started.id],
        );
      expect(audit).toEqual([
        { energy_wh: 5_000, recorded_by: `OPERATOR_ADMIN:admin-of-${operatorId}` },
        { energy_wh: 12_345, recorded_by: 'SERVICE:charger-gateway' },
      ]);

      // New sessions at the station take the new tariff; the connector is free again.
      const next = await startOk(h, newDriver(), station.id, station.connectors[0].id);
      expect(next.tariff).toMatchObject({
        tariffId: dearer,
        energyPricePerKwh: '0.79',
        timePricePerHour: '6',
        sessionFee: money(500),
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('prices a zero-decimal currency in whole yen', async () => {
    const yenOperator = await createOperator(h, 'Denki');
    const yenTariff = await createTariff(h, yenOperator, {
      currency: 'JPY',
      energyPricePerKwh: '55',
      timePricePerHour: '0',
      sessionFee: 100,
      taxRateBasisPoints: 1000,
      preAuthorizationAmount: 5000,
    });
    const station = await createStation(h, yenOperator, yenTariff, 1);
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[0].id);
    await backdate(h, session.id, 3600); // no time price: only makes 12.3 kWh plausible at 150 kW
    dataOf(await recordMeter(h, adminOf(yenOperator), session.id, 12_345, new Date()));
    const stopped = dataOf(await stop(h, driver, session.id)).stopChargingSession;
    // 12.345 kWh × 55 = 678.975 → 679; fee 100; subtotal 779; tax 10 % = 77.9 → 78; total 857
    expect(stopped.cost).toEqual({
      energy: { amount: 679, currency: 'JPY' },
      time: { amount: 0 },
      sessionFee: { amount: 100 },
      tax: { amount: 78 },
      total: { amount: 857, currency: 'JPY' },
    });
    expect(stopped.tariff.preAuthorization).toEqual({ amount: 5000, currency: 'JPY' });
  });
});

describe('startChargingSession refusals', () => {
  let station: CreatedStation;
  beforeAll(async () => {
    station = await freshStation(3);
  });

  it('answers NOT_FOUND for a station the station subgraph does not know', async () => {
    await refused('NOT_FOUND', () => start(h, newDriver(), UNKNOWN_ID, station.connectors[0].id));
  });

  it('rejects a malformed station id as BAD_USER_INPUT', async () => {
    const result = await refused('BAD_USER_INPUT', () => start(h, newDriver(), 'not-a-uuid', station.connectors[0].id));
    expect(result.errors?.[0].extensions?.fields).toEqual(['stationId']);
  });

  it('rejects a connector of another station as BAD_USER_INPUT', async () => {
    const elsewhere = await freshStation(1);
    const result = await refused('BAD_USER_INPUT', () => start(h, newDriver(), station.id, elsewhere.connectors[0].id));
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/has no connector/),
      extensions: { field: 'connectorId' },
    });
  });

  it.each([
    ['OUT_OF_ORDER', /out of order/],
    ['CHARGING', /in use/],
  ])('refuses a connector the station reports %s with CONFLICT', async (status, message) => {
    const own = await freshStation(1);
    await setConnectorStatus(h, own, own.connectors[0].id, status);
    const result = await refused('CONFLICT', () => start(h, newDriver(), own.id, own.connectors[0].id));
    expect(result.errors?.[0].message).toMatch(message);
  });

  it('refuses a connector busy with another session with CONFLICT', async () => {
    await startOk(h, newDriver(), station.id, station.connectors[1].id);
    const result = await refused('CONFLICT', () => start(h, newDriver(), station.id, station.connectors[1].id));
    // The station already shows the connector occupied by our session; else the unique index says so.
    expect(result.errors?.[0].message).toMatch(/busy with another charging session|is in use/);
  });

  it('lets exactly one of several concurrent starts on one connector win', async () => {
    const own = await freshStation(1);
    const before = await rowCounts(h);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => start(h, newDriver(), own.id, own.connectors[0].id)),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === 'CONFLICT')).toHaveLength(4);
    expect(await rowCounts(h)).toEqual({ ...before, sessions: before.sessions + 1, active: before.active + 1 });
  });

  it('allows one ACTIVE session per driver', async () => {
    const driver = newDriver();
    await startOk(h, driver, station.id, station.connectors[2].id);
    const elsewhere = await freshStation(1);
    const result = await refused('CONFLICT', () => start(h, driver, elsewhere.id, elsewhere.connectors[0].id));
    expect(result.errors?.[0].message).toMatch(/already have an active charging session/);
  });

  it('refuses stations of a suspended operator with CONFLICT', async () => {
    const suspended = await createOperator(h, 'Sleepy');
    const own = await createStation(h, suspended, await createTariff(h, suspended), 1);
    dataOf(
      await h.operator.run(
        `mutation ($id: ID!) { updateOperator(id: $id, input: { status: SUSPENDED }) { id } }`,
        { id: suspended },
        platformAdmin,
      ),
    );
    const result = await refused('CONFLICT', () => start(h, newDriver(), own.id, own.connectors[0].id));
    expect(result.errors?.[0].message).toMatch(/takes no new charging sessions/);
  });

  it.each([
    ['an anonymous caller', () => ({}), 'UNAUTHENTICATED'],
    ['an operator admin', () => adminOf(operatorId), 'FORBIDDEN'],
    ['a platform admin (sessions belong to drivers)', () => platformAdmin, 'FORBIDDEN'],
  ])('refuses %s', async (_who, identity, code) => {
    const own = await freshStation(1);
    await refused(code, () => start(h, identity(), own.id, own.connectors[0].id));
  });

  it('answers UPSTREAM_UNAVAILABLE when the station subgraph is down, and writes nothing', async () => {
    const config = testConfig({ STATION_URL: await deadUrl(), OPERATOR_URL: h.operatorUrl });
    const isolated = await createTestSubgraph(sessionSubgraph, config);
    try {
      const result = await isolated.run(
        START,
        { input: { stationId: station.id, connectorId: station.connectors[0].id } },
        newDriver(),
      );
      expect(errorCode(result)).toBe('UPSTREAM_UNAVAILABLE');
      expect(result.errors?.[0].message).toMatch(/station service did not answer/);
      expect(await isolated.orm.em.fork().count(ChargingSession, {})).toBe(0);
    } finally {
      await isolated.destroy();
    }
  });
});

describe('recordMeterValue', () => {
  let station: CreatedStation;
  beforeAll(async () => {
    station = await freshStation(4);
  });
  const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000);

  it('refuses implausible values (backwards, more than the connector delivers) and times outside the session, and keeps the last value', async () => {
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[0].id);
    await backdate(h, session.id, 600);
    const startedAt = new Date(new Date(session.startedAt).getTime() - 600_000);
    const measured = new Date(startedAt.getTime() + 60_000);
    dataOf(await recordMeter(h, chargerService, session.id, 1_000, measured));

    const cases: Array<[string, string, number, Date, RegExp]> = [
      [
        'energy lower than the last value',
        'METER_VALUE_IMPLAUSIBLE',
        999,
        new Date(measured.getTime() + 1),
        /went backwards/,
      ],
      [
        'a time before the last value',
        'METER_VALUE_IMPLAUSIBLE',
        1_500,
        startedAt,
        /earlier than the last meter value/,
      ],
      // 150 kW × 60 s × 1.1 + 100 Wh = 2,850 Wh at most in the next minute
      [
        'more than the connector can deliver',
        'METER_VALUE_IMPLAUSIBLE',
        1_000 + 2_851,
        new Date(measured.getTime() + 60_000),
        /150 kW connector/,
      ],
      [
        'a time before the session started',
        'BAD_USER_INPUT',
        1_500,
        new Date(startedAt.getTime() - 1_000),
        /before the session started/,
      ],
      [
        'a time in the future beyond clock skew',
        'BAD_USER_INPUT',
        1_500,
        new Date(Date.now() + 5 * 60_000),
        /in the future/,
      ],
    ];
    for (const [, code, energyWh, measuredAt, message] of cases) {
      const result = await refused(code, () => recordMeter(h, chargerService, session.id, energyWh, measuredAt));
      expect(result.errors?.[0].message).toMatch(message);
    }
    dataOf(await recordMeter(h, chargerService, session.id, 1_000 + 2_850, new Date(measured.getTime() + 60_000)));
    const negative = await refused('BAD_USER_INPUT', () => recordMeter(h, chargerService, session.id, -1, new Date()));
    expect(negative.errors?.[0].extensions?.fields).toEqual(['energyWh']);

    // A repeated reading (same time, same energy) is accepted: chargers resend.
    dataOf(await recordMeter(h, chargerService, session.id, 3_850, new Date(measured.getTime() + 60_000)));
    const current = await h.session.orm.em.fork().findOneOrFail(ChargingSession, { id: session.id });
    expect(current.energyWh).toBe(3_850);
    expect(await h.session.orm.em.fork().count(MeterValue, { session: session.id })).toBe(2);
  });

  it('refuses meter values for an ended session with CONFLICT', async () => {
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[1].id);
    dataOf(await stop(h, driver, session.id));
    const result = await refused('CONFLICT', () => recordMeter(h, chargerService, session.id, 10, new Date()));
    expect(result.errors?.[0].message).toMatch(/already ended \(COMPLETED\)/);
  });

  it.each<[string, (driver: Identity) => Identity, string]>([
    ["another operator's admin", () => adminOf(otherOperatorId), 'FORBIDDEN'],
    ['the driver of the session (drivers do not report energy)', (driver) => driver, 'FORBIDDEN'],
    ['an analyst', () => analyst, 'FORBIDDEN'],
    ['an anonymous caller', () => ({}), 'UNAUTHENTICATED'],
  ])('refuses %s', async (_who, identity, code) => {
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[2].id);
    try {
      await refused(code, () => recordMeter(h, identity(driver), session.id, 10, new Date()));
    } finally {
      dataOf(await stop(h, driver, session.id));
    }
  });

  it('answers NOT_FOUND for an unknown session', async () => {
    await refused('NOT_FOUND', () => recordMeter(h, chargerService, UNKNOWN_ID, 10, secondsAgo(1)));
  });

  it('serialises with a concurrent stop: the stored price always matches the stored energy', async () => {
    for (let i = 0; i < 5; i++) {
      const driver = newDriver();
      const session = await startOk(h, driver, station.id, station.connectors[3].id);
      await backdate(h, session.id, 3600);
      const [meter, stopped] = await Promise.all([
        recordMeter(h, chargerService, session.id, 10_000, new Date()),
        stop(h, driver, session.id),
      ]);
      expect(stopped.errors).toBeUndefined();
      expect([undefined, 'CONFLICT']).toContain(errorCode(meter));
      const row = await h.session.orm.em.fork().findOneOrFail(ChargingSession, { id: session.id }, { populate: ['*'] });
      // 10 kWh × 0.349 = 3.49 EUR when the meter value came first, nothing when the stop did.
      expect(row.finalPrice?.energy).toBe(row.energyWh === 10_000 ? 349 : 0);
      expect(row.energyWh).toBe(meter.errors ? 0 : 10_000);
    }
  });
});

describe('stopChargingSession', () => {
  let station: CreatedStation;
  beforeAll(async () => {
    station = await freshStation(3);
  });

  it('refuses a second stop with CONFLICT and keeps the first price', async () => {
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[0].id);
    const first = dataOf(await stop(h, driver, session.id)).stopChargingSession;
    const result = await refused('CONFLICT', () => stop(h, driver, session.id));
    expect(result.errors?.[0].message).toMatch(/already ended/);
    const row = await h.session.orm.em.fork().findOneOrFail(ChargingSession, { id: session.id });
    expect(row.endedAt?.toISOString()).toBe(first.endedAt);
  });

  it('lets exactly one of several concurrent stops win', async () => {
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[0].id);
    const results = await Promise.all(Array.from({ length: 5 }, () => stop(h, driver, session.id)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === 'CONFLICT')).toHaveLength(4);
  });

  it("hides another driver's session (NOT_FOUND) and refuses operator admins (FORBIDDEN)", async () => {
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[1].id);
    await refused('NOT_FOUND', () => stop(h, newDriver(), session.id));
    await refused('FORBIDDEN', () => stop(h, adminOf(operatorId), session.id));
    await refused('UNAUTHENTICATED', () => stop(h, {}, session.id));
    const row = await h.session.orm.em.fork().findOneOrFail(ChargingSession, { id: session.id });
    expect(row.status).toBe('ACTIVE');
    // A platform admin may end any session (e.g. a driver who left without stopping).
    expect(dataOf(await stop(h, platformAdmin, session.id)).stopChargingSession.status).toBe('COMPLETED');
  });

  it.each([UNKNOWN_ID, 'not-a-uuid'])('answers NOT_FOUND for the unknown id %s', async (id) => {
    await refused('NOT_FOUND', () => stop(h, newDriver(), id));
  });
});
