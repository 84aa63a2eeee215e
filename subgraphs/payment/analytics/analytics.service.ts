import type { RequestContext } from '../../../platform/subgraph/context.js';
import { analyticsLoader, exactInteger, ratio, uuidArray } from '../../../platform/subgraph/analytics/loader.js';
import {
  periodKey,
  truncUnit,
  type AnalyticsBucket,
  type Period,
} from '../../../platform/subgraph/analytics/period.js';
import { Money } from '../../../platform/money.js';
import { PaymentStats, RevenueBucket } from './analytics.types.js';

/*
 * Payment analytics, summed by PostgreSQL (one statement per question and request, never rows in memory).
 *
 * Local time: a payment counts on the local date its station's clock showed when it was captured (a decline: when
 * it was declined). The time zone is copied from the session when the payment is created (`payment.time_zone`;
 * null only for payments older than the column: read as UTC).
 *
 * Revenue and success counts read `payment_revenue_daily` (per operator, local date and currency, kept by a trigger
 * in the payment's own transaction): a month is at most 31 rows per currency, however many payments it had, so the
 * answer takes the same time at 10 000 or 1 000 000 sessions. Declines are read from `payment_decline` on
 * (operator_id, declined_at): the period's local dates are widened to instants by a day on each side (every zone is
 * within UTC−12..+14) for the index range, and the exact local test runs on those rows only.
 */

const LOCAL_DECLINE = `(d.declined_at at time zone coalesce(d.time_zone, 'UTC'))`;

export interface RevenueArgs {
  period: Period;
  bucket?: AnalyticsBucket | null;
}

interface RevenueRow {
  key: string;
  currency: string;
  bucket: string | null;
  gross: string;
  fees: string;
  refunded: string;
  net: string;
  payments: string;
}

async function revenueOf(
  ctx: RequestContext,
  ids: string[],
  { period, bucket }: RevenueArgs,
): Promise<Map<string, RevenueBucket[]>> {
  // The trunc unit is a fixed word from `truncUnit`, never client text.
  const bucketSql = bucket
    ? `to_char(date_trunc('${truncUnit(bucket)}', r.local_date::timestamp), 'YYYY-MM-DD')`
    : 'null';
  const rows: RevenueRow[] = await ctx.em.execute(
    `select r.operator_id::text as key, r.currency, ${bucketSql} as bucket,
            sum(r.gross)::bigint as gross,
            sum(r.application_fees)::bigint as fees,
            sum(r.refunded)::bigint as refunded,
            sum(r.gross - r.application_fees - r.refunded)::bigint as net,
            sum(r.payments)::bigint as payments
       from payment_revenue_daily r
      where r.operator_id = any(?::uuid[]) and r.local_date >= ?::date and r.local_date < ?::date
      group by 1, 2, 3
     having sum(r.payments) <> 0
      order by 1, 3, 2`,
    [uuidArray(ids), period.from, period.to],
  );
  const result = new Map<string, RevenueBucket[]>();
  for (const row of rows) {
    const money = (value: string) => Money.of(exactInteger(value), row.currency);
    const figures = Object.assign(new RevenueBucket(), {
      bucket: row.bucket,
      currency: row.currency,
      gross: money(row.gross),
      applicationFees: money(row.fees),
      refunded: money(row.refunded),
      net: money(row.net),
      paymentCount: exactInteger(row.payments),
    });
    result.set(row.key, [...(result.get(row.key) ?? []), figures]);
  }
  return result;
}

export const revenueByOperator = analyticsLoader<RevenueArgs, RevenueBucket[]>(
  ({ period, bucket }) => periodKey(period, bucket),
  revenueOf,
  () => [],
);

interface StatsRow {
  key: string;
  succeeded: string;
  refunded: string;
  declined: string;
}

async function paymentStatsOf(ctx: RequestContext, ids: string[], period: Period): Promise<Map<string, PaymentStats>> {
  const rows: StatsRow[] = await ctx.em.execute(
    `with succeeded as (
       select r.operator_id, sum(r.payments)::bigint as n, sum(r.refunded_payments)::bigint as refunded
         from payment_revenue_daily r
        where r.operator_id = any(?::uuid[]) and r.local_date >= ?::date and r.local_date < ?::date
        group by 1
     ), declined as (
       select d.operator_id, count(*)::bigint as n
         from payment_decline d
        where d.operator_id = any(?::uuid[])
          and d.declined_at >= ? and d.declined_at < ?
          and ${LOCAL_DECLINE} >= ?::timestamp and ${LOCAL_DECLINE} < ?::timestamp
        group by 1
     )
     select o.id::text as key, coalesce(s.n, 0) as succeeded, coalesce(s.refunded, 0) as refunded, coalesce(d.n, 0) as declined
       from unnest(?::uuid[]) as o(id)
       left join succeeded s on s.operator_id = o.id
       left join declined d on d.operator_id = o.id`,
    [
      uuidArray(ids),
      period.from,
      period.to,
      uuidArray(ids),
      period.lo,
      period.hi,
      period.from,
      period.to,
      uuidArray(ids),
    ],
  );
  return new Map(
    rows.map((row) => [
      row.key,
      paymentStats(exactInteger(row.succeeded), exactInteger(row.declined), exactInteger(row.refunded)),
    ]),
  );
}

function paymentStats(succeeded: number, declined: number, refunded: number): PaymentStats {
  const attempts = succeeded + declined;
  return Object.assign(new PaymentStats(), {
    attempts,
    succeeded,
    declined,
    refunded,
    successRate: ratio(succeeded, attempts),
    declineRate: ratio(declined, attempts),
    refundRate: ratio(refunded, succeeded),
  });
}

export const paymentStatsByOperator = analyticsLoader<Period, PaymentStats>(
  (period) => periodKey(period),
  paymentStatsOf,
  () => paymentStats(0, 0, 0),
);
