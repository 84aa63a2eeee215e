import DataLoader from 'dataloader';
import type { LoaderFactory, RequestContext } from '../../../platform/subgraph/context.js';
import { isUuid } from '../../../platform/ids.js';
import { analyticsLoader, exactInteger, ratio, uuidArray } from '../../../platform/subgraph/analytics/loader.js';
import {
  periodKey,
  truncUnit,
  type AnalyticsBucket,
  type Period,
} from '../../../platform/subgraph/analytics/period.js';
import { analyticsOperatorScope } from '../access.js';
import { EnergyStats, Utilisation } from './analytics.types.js';

/*
 * Session analytics, summed by PostgreSQL (one statement per question and request, never rows in memory).
 *
 * Local time: a session counts on the local date its station's clock showed when it started. The station's time
 * zone is stored on the session at start (`time_zone`, null only for sessions older than the column: read as UTC).
 * The period's local dates are first widened to instants by a day on each side (every zone is within UTC−12..+14),
 * which the (operator_id | station_id, started_at) indexes narrow to; the exact local test runs on those rows only.
 * Per operator, energy reads the daily sums a trigger keeps (`session_energy_daily`): at most 31 rows a month, however
 * busy the operator (a station's sessions are few enough to sum directly).
 */

const LOCAL_START = `(s.started_at at time zone coalesce(s.time_zone, 'UTC'))`;

export interface EnergyArgs {
  period: Period;
  bucket?: AnalyticsBucket | null;
}

type EnergyRows = (ctx: RequestContext, ids: string[], args: EnergyArgs) => Promise<EnergyRow[]>;

interface EnergyRow {
  key: string;
  bucket: string | null;
  sessions: string;
  energy_wh: string;
  seconds: string;
}

const energyOf =
  (rowsOf: EnergyRows) =>
  async (ctx: RequestContext, ids: string[], args: EnergyArgs): Promise<Map<string, EnergyStats[]>> => {
    const rows = await rowsOf(ctx, ids, args);
    const result = new Map<string, EnergyStats[]>();
    for (const row of rows)
      result.set(row.key, [
        ...(result.get(row.key) ?? []),
        energyStats(row.bucket, exactInteger(row.sessions), exactInteger(row.energy_wh), Number(row.seconds)),
      ]);
    return result;
  };

/** The trunc unit is a fixed word from period.ts, never client text. */
const bucketOf = (bucket: AnalyticsBucket | null | undefined, localTimestamp: string) =>
  bucket ? `to_char(date_trunc('${truncUnit(bucket)}', ${localTimestamp}), 'YYYY-MM-DD')` : 'null';

const operatorEnergyRows: EnergyRows = (ctx, ids, { period, bucket }) =>
  ctx.em.execute(
    `select d.operator_id::text as key, ${bucketOf(bucket, 'd.local_date::timestamp')} as bucket,
            coalesce(sum(d.sessions), 0)::bigint as sessions,
            coalesce(sum(d.energy_wh), 0)::bigint as energy_wh,
            coalesce(sum(d.seconds), 0)::text as seconds
       from session_energy_daily d
      where d.operator_id = any(?::uuid[])
        and (?::uuid is null or d.operator_id = ?::uuid)
        and d.local_date >= ?::date and d.local_date < ?::date
      group by 1, 2
     having sum(d.sessions) > 0
      order by 1, 2`,
    [
      uuidArray(ids),
      analyticsOperatorScope(ctx.identity),
      analyticsOperatorScope(ctx.identity),
      period.from,
      period.to,
    ],
  );

const stationEnergyRows: EnergyRows = (ctx, ids, { period, bucket }) =>
  ctx.em.execute(
    `select s.station_id::text as key, ${bucketOf(bucket, LOCAL_START)} as bucket,
            count(*)::bigint as sessions,
            coalesce(sum(s.energy_wh), 0)::bigint as energy_wh,
            coalesce(sum(extract(epoch from s.ended_at - s.started_at)), 0)::text as seconds
       from charging_session s
      where s.station_id = any(?::uuid[])
        and (?::uuid is null or s.operator_id = ?::uuid)
        and s.status = 'COMPLETED'
        and s.started_at >= ? and s.started_at < ?
        and ${LOCAL_START} >= ?::timestamp and ${LOCAL_START} < ?::timestamp
      group by 1, 2
      order by 1, 2`,
    [
      uuidArray(ids),
      analyticsOperatorScope(ctx.identity),
      analyticsOperatorScope(ctx.identity),
      period.lo,
      period.hi,
      period.from,
      period.to,
    ],
  );

function energyStats(bucket: string | null, sessions: number, energyWh: number, seconds: number): EnergyStats {
  return Object.assign(new EnergyStats(), {
    bucket,
    sessionCount: sessions,
    energyKwh: energyWh / 1000,
    averageEnergyKwh: sessions ? energyWh / 1000 / sessions : null,
    averageDurationMinutes: sessions ? seconds / 60 / sessions : null,
  });
}

/** Without a bucket there is always one row (zeros when nothing happened); with one, a row per bucket with sessions. */
const noEnergy = ({ bucket }: EnergyArgs): EnergyStats[] => (bucket ? [] : [energyStats(null, 0, 0, 0)]);
const energyKey = ({ period, bucket }: EnergyArgs) => periodKey(period, bucket);

export const energyByOperator = analyticsLoader<EnergyArgs, EnergyStats[]>(
  energyKey,
  energyOf(operatorEnergyRows),
  noEnergy,
);
export const energyByStation = analyticsLoader<EnergyArgs, EnergyStats[]>(
  energyKey,
  energyOf(stationEnergyRows),
  noEnergy,
);

/** One station's question: its time zone and connector count come from the station subgraph (`@requires`). */
export interface UtilisationKey {
  id: string;
  period: Period;
  timeZone: string;
  connectorCount: number;
}

interface UtilisationRow {
  key: string;
  available_seconds: string;
  charging_seconds: string;
}

/**
 * Charging hours: every session's time inside [local from, local to) (running sessions up to now), summed. Available
 * hours: connectors × the period's hours that have passed. Each station's bounds are instants in its own zone, so DST
 * days count 23 or 25 hours. Sessions are found on (station_id, started_at): those that started before the period's
 * end and had not ended before its start. All stations of a request in one statement, whatever their zones.
 */
async function utilisationOf(
  ctx: RequestContext,
  period: Period,
  stations: UtilisationKey[],
): Promise<Map<string, Utilisation>> {
  const rows: UtilisationRow[] = await ctx.em.execute(
    `with st as (
       select t.id, (?::timestamp at time zone t.tz) as lo, least((?::timestamp at time zone t.tz), now()) as hi
         from json_to_recordset(?::json) as t(id uuid, tz text)
     )
     select st.id::text as key,
            greatest(extract(epoch from st.hi - st.lo), 0)::text as available_seconds,
            coalesce((
              select sum(greatest(extract(epoch from least(coalesce(s.ended_at, now()), st.hi) - greatest(s.started_at, st.lo)), 0))
                from charging_session s
               where s.station_id = st.id
                 and (?::uuid is null or s.operator_id = ?::uuid)
                 and s.started_at < st.hi
                 and (s.ended_at is null or s.ended_at > st.lo)
            ), 0)::text as charging_seconds
       from st`,
    [
      period.from,
      period.to,
      JSON.stringify(stations.map((s) => ({ id: s.id, tz: s.timeZone }))),
      analyticsOperatorScope(ctx.identity),
      analyticsOperatorScope(ctx.identity),
    ],
  );
  const byId = new Map(stations.map((s) => [s.id, s]));
  return new Map(
    rows.map((row) => {
      const { connectorCount, timeZone } = byId.get(row.key)!;
      const available = (Number(row.available_seconds) / 3600) * connectorCount;
      const charging = Number(row.charging_seconds) / 3600;
      return [
        row.key,
        Object.assign(new Utilisation(), {
          chargingHours: charging,
          availableHours: available,
          ratio: ratio(charging, available),
          connectorCount,
          timeZone,
        }),
      ];
    }),
  );
}

const utilisationKey = (key: UtilisationKey) =>
  `${periodKey(key.period)}|${key.id}|${key.timeZone}|${key.connectorCount}`;

/** `Station.utilisation` of every station of a request: one statement per period. */
export const utilisationByStation: LoaderFactory<UtilisationKey, Utilisation | null> = (ctx) =>
  new DataLoader<UtilisationKey, Utilisation | null, string>(
    async (keys) => {
      const byPeriod = new Map<string, UtilisationKey[]>();
      for (const key of keys)
        byPeriod.set(periodKey(key.period), [...(byPeriod.get(periodKey(key.period)) ?? []), key]);
      const answers = new Map<string, Utilisation>();
      for (const group of byPeriod.values()) {
        const stations = [...new Map(group.filter((k) => isUuid(k.id)).map((k) => [k.id, k])).values()];
        const found = stations.length
          ? await utilisationOf(ctx, group[0].period, stations)
          : new Map<string, Utilisation>();
        for (const key of group) answers.set(utilisationKey(key), found.get(key.id)!);
      }
      return keys.map((key) => answers.get(utilisationKey(key)) ?? null);
    },
    { cacheKeyFn: utilisationKey },
  );
