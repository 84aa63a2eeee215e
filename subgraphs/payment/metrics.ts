/**
 * The payment subgraph's own metrics, counted in PostgreSQL at scrape time (at most every 10 s), so every replica
 * reports the same totals: aggregate with max(), not sum().
 * - chargegraph_payments{status, operator}: payments (current attempt) by status and receiving operator
 * - chargegraph_payment_amount_minor_total{status, currency}: their amounts, in minor units
 * - chargegraph_sweeper_backlog{kind}: `needs_attention` (flagged, waiting for a person or a new card) and
 *   `in_doubt` (an attempt committed more than a minute ago whose provider step has not finished: a crash or an
 *   outage between the provider call and our write; the next charge call, webhook or sweep settles it)
 * - chargegraph_webhook_events_processed{type}: deduplicated provider events recorded in the last hour
 * - chargegraph_payment_capture_capped_total{currency} / _capped_minor_total{currency}: captures of a hold that were
 *   capped at the authorised amount (the session cost more than was held), counted in this process: sum()
 * - chargegraph_reconciliation_differences_total{kind, currency}: differences reconciliation found between the
 *   ledger and the provider's balance transactions (reconciliation/), counted in this process: sum()
 */
import { Counter, Gauge } from 'prom-client';
import type { SubgraphDeps } from '../../platform/subgraph/server.js';
import { processMetrics } from '../../platform/metrics.js';

const MIN_INTERVAL_MS = 10_000;

export function paymentMetrics({ orm }: SubgraphDeps): () => void {
  const metrics = processMetrics();
  const registers = [metrics.registry];
  const get = <T extends string>(name: string, help: string, labelNames: T[]) =>
    (metrics.registry.getSingleMetric(name) as Gauge<T> | undefined) ??
    new Gauge({ name, help, labelNames, registers });
  const payments = get('chargegraph_payments', 'Payments by status and receiving operator (from PostgreSQL)', [
    'status',
    'operator',
  ]);
  const amounts = get(
    'chargegraph_payment_amount_minor_total',
    'Sum of payment amounts in minor units, by status and currency (from PostgreSQL)',
    ['status', 'currency'],
  );
  const backlog = get('chargegraph_sweeper_backlog', 'Payments the sweeper or a person still has to settle', ['kind']);
  const webhooks = get('chargegraph_webhook_events_processed', 'Provider events processed in the last hour, by type', [
    'type',
  ]);
  let last = 0;
  return metrics.sample('payment', async () => {
    if (Date.now() - last < MIN_INTERVAL_MS) return;
    last = Date.now();
    const em = orm.em.fork();
    const [byStatus, byCurrency, doubt, events] = await Promise.all([
      em.execute<Array<{ status: string; operator_id: string; n: string }>>(
        'select status, operator_id, count(*) as n from payment group by status, operator_id',
      ),
      em.execute<Array<{ status: string; currency: string; total: string }>>(
        'select status, currency, coalesce(sum(coalesce(amount, authorized_amount, 0)), 0) as total from payment group by status, currency',
      ),
      em.execute<Array<{ attention: string; in_doubt: string }>>(
        "select count(*) filter (where needs_attention) as attention, count(*) filter (where status = 'PENDING' and updated_at < now() - interval '1 minute') as in_doubt from payment",
      ),
      em.execute<Array<{ type: string; n: string }>>(
        "select type, count(*) as n from processed_webhook_event where processed_at > now() - interval '1 hour' group by type",
      ),
    ]);
    payments.reset();
    for (const row of byStatus) payments.set({ status: row.status, operator: row.operator_id }, Number(row.n));
    amounts.reset();
    for (const row of byCurrency) amounts.set({ status: row.status, currency: row.currency }, Number(row.total));
    backlog.set({ kind: 'needs_attention' }, Number(doubt[0]?.attention ?? 0));
    backlog.set({ kind: 'in_doubt' }, Number(doubt[0]?.in_doubt ?? 0));
    webhooks.reset();
    for (const row of events) webhooks.set({ type: row.type }, Number(row.n));
  });
}

/** Counts a capture capped at the authorised amount: how often, and how much the operators did not collect. */
export function countCappedCapture(currency: string, uncollected: number): void {
  const { registry } = processMetrics();
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<'currency'> | undefined) ??
    new Counter({ name, help, labelNames: ['currency'], registers: [registry] });
  counter('chargegraph_payment_capture_capped_total', 'Hold captures capped at the authorised amount').inc({
    currency,
  });
  counter(
    'chargegraph_payment_capture_capped_minor_total',
    'Minor units above the authorised amount that were not charged',
  ).inc({ currency }, uncollected);
}

/** Counts one difference a reconciliation run found (each is also logged, with its provider id and payment). */
export function countReconciliationDifference(kind: string, currency: string): void {
  const { registry } = processMetrics();
  const name = 'chargegraph_reconciliation_differences_total';
  const counter =
    (registry.getSingleMetric(name) as Counter<'kind' | 'currency'> | undefined) ??
    new Counter({
      name,
      help: "Differences reconciliation found between the ledger and the provider's balance transactions",
      labelNames: ['kind', 'currency'],
      registers: [registry],
    });
  counter.inc({ kind, currency });
}
