/**
 * Analytics test support: the figures computed a second, independent way — plain rows read with SQL, local dates
 * from the JavaScript runtime's time zone database (Intl), sums in JavaScript — to hold the GraphQL answers against.
 */
import type { Subgraph } from '../../platform/subgraph/server.js';
import type { TestStack } from '../support/stack.js';

export type Bucket = 'DAY' | 'WEEK' | 'MONTH';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date a clock in `timeZone` showed at `instant`, as YYYY-MM-DD. */
export function localDate(instant: Date, timeZone: string | null): string {
  const zone = timeZone ?? 'UTC';
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(zone, format);
  }
  return format.format(instant);
}

/** First date of the bucket a local date falls in (weeks start on Monday). */
export function bucketOf(date: string, bucket: Bucket): string {
  if (bucket === 'DAY') return date;
  if (bucket === 'MONTH') return `${date.slice(0, 7)}-01`;
  const day = Date.parse(`${date}T00:00:00Z`);
  const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}

/** The instant local midnight of `date` is in `timeZone` (found by asking Intl for the offset, twice for DST). */
export function zonedMidnight(date: string, timeZone: string): Date {
  const utc = Date.parse(`${date}T00:00:00Z`);
  let guess = utc;
  for (let i = 0; i < 3; i++) guess = utc - offsetAt(new Date(guess), timeZone);
  return new Date(guess);
}

function offsetAt(instant: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

export const inPeriod = (date: string, period: { from: string; to: string }) => date >= period.from && date < period.to;

export function subgraph(stack: TestStack, name: 'operator' | 'station' | 'session' | 'payment'): Subgraph {
  const found = stack.subgraphs[name];
  if (!found) throw new Error(`no ${name} subgraph`);
  return found;
}

/** Plain rows of a subgraph's database. */
export function rows<T>(
  stack: TestStack,
  name: 'operator' | 'station' | 'session' | 'payment',
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return subgraph(stack, name).orm.em.fork().execute(sql, params);
}

export interface PaymentRow {
  operator_id: string;
  currency: string;
  status: string;
  amount: number;
  application_fee_amount: number | null;
  refunded_amount: number;
  captured_at: Date | null;
  time_zone: string | null;
}

export interface DeclineRow {
  operator_id: string;
  declined_at: Date;
  time_zone: string | null;
}

export interface SessionRow {
  operator_id: string;
  station_id: string;
  status: string;
  started_at: Date;
  ended_at: Date | null;
  energy_wh: number;
  time_zone: string | null;
}

/** An instant as epoch milliseconds (the ORM's connection hands timestamps back as strings). */
const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8 as ${column}`;
const instant = (value: unknown): Date | null => (value == null ? null : new Date(Number(value)));

export const paymentRows = async (stack: TestStack): Promise<PaymentRow[]> =>
  (
    await rows<PaymentRow>(
      stack,
      'payment',
      `select operator_id, currency, status, amount, application_fee_amount, refunded_amount, ${ms('captured_at')}, time_zone from payment`,
    )
  ).map((r) => ({
    ...r,
    captured_at: instant(r.captured_at),
  }));
export const declineRows = async (stack: TestStack): Promise<DeclineRow[]> =>
  (
    await rows<DeclineRow>(stack, 'payment', `select operator_id, ${ms('declined_at')}, time_zone from payment_decline`)
  ).map((r) => ({ ...r, declined_at: instant(r.declined_at)! }));
export const sessionRows = async (stack: TestStack): Promise<SessionRow[]> =>
  (
    await rows<SessionRow>(
      stack,
      'session',
      `select operator_id, station_id, status, ${ms('started_at')}, ${ms('ended_at')}, energy_wh, time_zone from charging_session`,
    )
  ).map((r) => ({
    ...r,
    started_at: instant(r.started_at)!,
    ended_at: instant(r.ended_at),
  }));

export interface RevenueFigures {
  bucket: string | null;
  currency: string;
  gross: { amount: number; currency: string };
  applicationFees: { amount: number };
  refunded: { amount: number };
  net: { amount: number };
  paymentCount: number;
}

/** Revenue per currency (and bucket) of one operator, from the payment rows: captured on a local date in the period. */
export function expectedRevenue(
  payments: PaymentRow[],
  operatorId: string,
  period: { from: string; to: string },
  bucket?: Bucket,
): RevenueFigures[] {
  const groups = new Map<string, RevenueFigures>();
  for (const p of payments) {
    if (p.operator_id !== operatorId || p.status !== 'SUCCEEDED' || !p.captured_at) continue;
    const date = localDate(p.captured_at, p.time_zone);
    if (!inPeriod(date, period)) continue;
    const key = bucket ? bucketOf(date, bucket) : null;
    const id = `${key}|${p.currency}`;
    const g = groups.get(id) ?? {
      bucket: key,
      currency: p.currency,
      gross: { amount: 0, currency: p.currency },
      applicationFees: { amount: 0 },
      refunded: { amount: 0 },
      net: { amount: 0 },
      paymentCount: 0,
    };
    const fee = p.application_fee_amount ?? 0;
    g.gross.amount += p.amount;
    g.applicationFees.amount += fee;
    g.refunded.amount += p.refunded_amount;
    g.net.amount += p.amount - fee - p.refunded_amount;
    g.paymentCount += 1;
    groups.set(id, g);
  }
  return [...groups.values()].sort((a, b) => `${a.bucket}|${a.currency}`.localeCompare(`${b.bucket}|${b.currency}`));
}

export interface StatsFigures {
  attempts: number;
  succeeded: number;
  declined: number;
  refunded: number;
}

export function expectedStats(
  payments: PaymentRow[],
  declines: DeclineRow[],
  operatorId: string,
  period: { from: string; to: string },
): StatsFigures {
  const succeeded = payments.filter(
    (p) =>
      p.operator_id === operatorId &&
      p.status === 'SUCCEEDED' &&
      p.captured_at &&
      inPeriod(localDate(p.captured_at, p.time_zone), period),
  );
  const declined = declines.filter(
    (d) => d.operator_id === operatorId && inPeriod(localDate(d.declined_at, d.time_zone), period),
  ).length;
  return {
    attempts: succeeded.length + declined,
    succeeded: succeeded.length,
    declined,
    refunded: succeeded.filter((p) => p.refunded_amount > 0).length,
  };
}

export interface EnergyFigures {
  bucket: string | null;
  sessionCount: number;
  energyKwh: number;
  averageEnergyKwh: number | null;
  averageDurationMinutes: number | null;
}

/** Completed sessions that started on a local date in the period, per bucket. */
export function expectedEnergy(
  sessions: SessionRow[],
  match: (s: SessionRow) => boolean,
  period: { from: string; to: string },
  bucket?: Bucket,
): EnergyFigures[] {
  const groups = new Map<string | null, { count: number; wh: number; seconds: number }>();
  for (const s of sessions) {
    if (!match(s) || s.status !== 'COMPLETED' || !s.ended_at) continue;
    const date = localDate(s.started_at, s.time_zone);
    if (!inPeriod(date, period)) continue;
    const key = bucket ? bucketOf(date, bucket) : null;
    const g = groups.get(key) ?? { count: 0, wh: 0, seconds: 0 };
    g.count += 1;
    g.wh += s.energy_wh;
    g.seconds += (s.ended_at.getTime() - s.started_at.getTime()) / 1000;
    groups.set(key, g);
  }
  if (!bucket && groups.size === 0) groups.set(null, { count: 0, wh: 0, seconds: 0 });
  return [...groups.entries()]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([key, g]) => ({
      bucket: key,
      sessionCount: g.count,
      energyKwh: g.wh / 1000,
      averageEnergyKwh: g.count ? g.wh / 1000 / g.count : null,
      averageDurationMinutes: g.count ? g.seconds / 60 / g.count : null,
    }));
}

/** Hours sessions spent on the station's connectors inside the period (local midnights in the station's zone). */
export function expectedUtilisation(
  sessions: SessionRow[],
  stationId: string,
  timeZone: string,
  connectors: number,
  period: { from: string; to: string },
  now = new Date(),
) {
  const lo = zonedMidnight(period.from, timeZone).getTime();
  const hi = Math.min(zonedMidnight(period.to, timeZone).getTime(), now.getTime());
  let charging = 0;
  for (const s of sessions) {
    if (s.station_id !== stationId) continue;
    const end = Math.min((s.ended_at ?? now).getTime(), hi);
    const start = Math.max(s.started_at.getTime(), lo);
    if (end > start) charging += (end - start) / 1000;
  }
  const availableHours = (Math.max(0, hi - lo) / 3_600_000) * connectors;
  const chargingHours = charging / 3600;
  return { chargingHours, availableHours, ratio: availableHours > 0 ? chargingHours / availableHours : null };
}

/** Numbers equal to 9 significant digits (averages and kWh are floats on both sides). */
export function closeTo(actual: number | null, expected: number | null): boolean {
  if (actual === null || expected === null) return actual === expected;
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}
