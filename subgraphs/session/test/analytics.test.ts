import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '../../../test/support/sql-counter.js';
import {
  adminOf,
  analyst,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  errorCode,
  newDriver,
  backdate,
  recordMeter,
  startHarness,
  startOk,
  stop,
  type Harness,
} from './harness.js';

/*
 * The session subgraph's analytics as the gateway calls them: `_entities` with the Station fields it @requires
 * (time zone, connector count, operator) taken from the station subgraph.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.destroy());

async function endedSession(
  stationId: string,
  operatorId: string,
  start: string,
  end: string,
  timeZone: string,
): Promise<void> {
  await h.session.orm.em.fork().execute(
    `insert into charging_session (id, created_at, updated_at, status, station_id, connector_id, driver_id, operator_id, started_at, ended_at, energy_wh, time_zone,
       tariff_id, tariff_currency, tariff_energy_price_per_kwh, tariff_time_price_per_hour, tariff_session_fee_amount, tariff_tax_rate_basis_points, tariff_pre_authorization_amount,
       cost_energy, cost_time, cost_session_fee, cost_tax, cost_total)
     values (?, ?, ?, 'COMPLETED', ?, 'c1', 'analytics-driver', ?, ?, ?, 1000, ?, ?, 'EUR', 0.3, 0, 0, 0, 5000, 30, 0, 0, 0, 30)`,
    [randomUUID(), start, end, stationId, operatorId, start, end, timeZone, randomUUID()],
  );
}

const UTILISATION = `query ($representations: [_Any!]!, $period: AnalyticsPeriod!) {
  _entities(representations: $representations) { ... on Station { id utilisation(period: $period) { chargingHours availableHours ratio connectorCount timeZone } } } }`;

describe('analytics in the session subgraph', () => {
  it("keeps the station's time zone on a session from its start", async () => {
    const operatorId = await createOperator(h);
    const station = await createStation(h, operatorId, await createTariff(h, operatorId));
    const session = await startOk(h, newDriver(), station.id, station.connectors[0].id);
    const read = await h.session.run<{ chargingSession: { timeZone: string } }>(
      `query ($id: ID!) { chargingSession(id: $id) { timeZone } }`,
      { id: session.id },
      adminOf(operatorId),
    );
    expect(dataOf(read).chargingSession.timeZone).toBe('Europe/Berlin');
  });

  it('answers utilisation of stations in different zones with one statement, each in its own hours', async () => {
    const operatorId = randomUUID();
    const tokyo = randomUUID();
    const newYork = randomUUID();
    await endedSession(tokyo, operatorId, '2026-10-31T14:00:00Z', '2026-10-31T15:00:00Z', 'Asia/Tokyo'); // 23:00–00:00 JST
    await endedSession(newYork, operatorId, '2026-11-01T04:00:00Z', '2026-11-01T05:00:00Z', 'America/New_York'); // 00:00–01:00 EDT; the day has 25 h
    const representations = [
      {
        __typename: 'Station',
        id: tokyo,
        timezone: 'Asia/Tokyo',
        connectorCount: 2,
        operator: { __typename: 'Operator', id: operatorId },
      },
      {
        __typename: 'Station',
        id: newYork,
        timezone: 'America/New_York',
        connectorCount: 4,
        operator: { __typename: 'Operator', id: operatorId },
      },
    ];
    let result: Awaited<ReturnType<typeof h.session.run>> | undefined;
    const statements = await countStatements(
      h.session.orm,
      async () => {
        result = await h.session.run(
          UTILISATION,
          { representations, period: { from: '2026-10-31', to: '2026-11-01' } },
          analyst,
        );
      },
      { within: true }, // not a settle job's statements meanwhile
    );
    expect(statements).toBe(1);
    expect(dataOf(result!)).toEqual({
      _entities: [
        {
          id: tokyo,
          utilisation: {
            chargingHours: 1,
            availableHours: 48,
            ratio: 1 / 48,
            connectorCount: 2,
            timeZone: 'Asia/Tokyo',
          },
        },
        {
          id: newYork,
          utilisation: {
            chargingHours: 0,
            availableHours: 96,
            ratio: 0,
            connectorCount: 4,
            timeZone: 'America/New_York',
          },
        },
      ],
    });
    const nextDay = await h.session.run<{
      _entities: Array<{ utilisation: { chargingHours: number; availableHours: number } }>;
    }>(
      UTILISATION,
      { representations: [representations[1]], period: { from: '2026-11-01', to: '2026-11-02' } },
      analyst,
    );
    expect(dataOf(nextDay)._entities[0].utilisation).toMatchObject({ chargingHours: 1, availableHours: 100 });
  });

  it('checks the operator the station subgraph names, and needs the fields it @requires', async () => {
    const station = {
      __typename: 'Station',
      id: randomUUID(),
      timezone: 'UTC',
      connectorCount: 1,
      operator: { __typename: 'Operator', id: randomUUID() },
    };
    const foreign = await h.session.run(
      UTILISATION,
      { representations: [station], period: { from: '2026-10-01', to: '2026-11-01' } },
      adminOf(randomUUID()),
    );
    expect(errorCode(foreign)).toBe('FORBIDDEN');
    const own = await h.session.run(
      UTILISATION,
      { representations: [station], period: { from: '2026-10-01', to: '2026-11-01' } },
      adminOf(station.operator.id),
    );
    expect(own.errors).toBeUndefined();
    const bare = await h.session.run(
      UTILISATION,
      {
        representations: [{ __typename: 'Station', id: station.id }],
        period: { from: '2026-10-01', to: '2026-11-01' },
      },
      analyst,
    );
    expect(errorCode(bare)).toBe('INTERNAL_SERVER_ERROR');
  });

  it('keeps the daily energy table equal to the sessions, whoever writes them (API, SQL updates, deletes)', async () => {
    const operatorId = await createOperator(h);
    const station = await createStation(h, operatorId, await createTariff(h, operatorId));
    const em = h.session.orm.em.fork();
    const recomputed = () =>
      em.execute(
        `select local_date::text, count(*)::int as sessions, sum(energy_wh)::bigint::text as energy_wh, sum(extract(epoch from ended_at - started_at))::numeric(24,6)::text as seconds
                    from (select *, (started_at at time zone coalesce(time_zone, 'UTC'))::date as local_date from charging_session) s
                   where operator_id = ? and status = 'COMPLETED' group by 1 order by 1`,
        [operatorId],
      );
    const kept = () =>
      em.execute(
        `select local_date::text, sessions, energy_wh::text, seconds::text from session_energy_daily where operator_id = ? and sessions <> 0 order by 1`,
        [operatorId],
      );

    // Through the API: started (not counted), metered, stopped (counted).
    const driver = newDriver();
    const session = await startOk(h, driver, station.id, station.connectors[0].id);
    expect(await kept()).toEqual([]);
    await backdate(h, session.id, 3600); // 7.5 kWh take time, even at 150 kW
    dataOf(await recordMeter(h, adminOf(operatorId), session.id, 7_500, new Date()));
    expect(dataOf(await stop(h, driver, session.id)).stopChargingSession.status).toBe('COMPLETED');
    expect(await kept()).toEqual(await recomputed());
    expect(await kept()).toMatchObject([{ sessions: 1, energy_wh: '7500' }]);

    // Raw SQL: a second session on another local day, a correction of the first, then a deletion.
    await endedSession(station.id, operatorId, '2026-10-31T22:30:00Z', '2026-10-31T23:15:00Z', 'Europe/Berlin'); // 23:30 CET, 31 Oct
    await em.execute(`update charging_session set energy_wh = 9000 where id = ?`, [session.id]);
    expect(await kept()).toEqual(await recomputed());
    await em.execute(`delete from meter_value where session_id = ?`, [session.id]);
    await em.execute(`delete from charging_session where id = ?`, [session.id]);
    expect(await kept()).toEqual(await recomputed());
    expect(await kept()).toEqual([
      { local_date: '2026-10-31', sessions: 1, energy_wh: '1000', seconds: '2700.000000' },
    ]);
  });
});
