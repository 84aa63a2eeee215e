import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../../platform/ids.js';
import { exactInteger } from '../../../platform/money.js';
import { byId, type LoaderFactory } from '../../../platform/subgraph/context.js';
import { decodeCursor, toConnection, type Connection, type PageArgs } from '../../../platform/subgraph/pagination.js';
import { Payment } from './payment.entity.js';
import { PaymentStatus } from './payment.status.js';

/* The read side of payments: lists, revenue sums and per-request loaders. The charge flow is payment.service.ts. */

export interface RevenueRow {
  currency: string;
  gross: number;
  /** Application fees kept: taken, less what refunds gave back. */
  applicationFees: number;
  refunded: number;
  net: number;
  paymentCount: number;
}

/** An operator's payments, newest first (ids are UUIDv7: id order is creation order). */
export async function listOperatorPayments(
  em: EntityManager,
  operatorId: string,
  status: PaymentStatus | undefined,
  { first, after }: PageArgs,
): Promise<Connection<Payment>> {
  if (!isUuid(operatorId)) return toConnection([], first);
  const rows = await em.find(
    Payment,
    { operatorId, ...(status ? { status } : {}), ...(after ? { id: { $lt: decodeCursor(after) } } : {}) },
    { orderBy: { id: 'desc' }, limit: first + 1 },
  );
  return toConnection(rows, first);
}

/**
 * Revenue of one operator per currency for payments captured in [from, to), summed by PostgreSQL (no rows in
 * memory). net = gross − application fees kept − refunded (refunds of those payments, whenever they happened).
 */
export async function operatorRevenue(
  em: EntityManager,
  operatorId: string,
  from: Date,
  to: Date,
): Promise<RevenueRow[]> {
  if (!isUuid(operatorId)) return [];
  const rows: Array<Record<string, string>> = await em.execute(
    `select currency,
            sum(amount)::bigint as gross,
            sum(coalesce(application_fee_amount, 0) - application_fee_refunded_amount)::bigint as fees,
            sum(refunded_amount)::bigint as refunded,
            sum(amount - coalesce(application_fee_amount, 0) + application_fee_refunded_amount - refunded_amount)::bigint
              as net,
            count(*)::bigint as payments
       from payment
      where operator_id = ? and status = ? and captured_at >= ? and captured_at < ?
      group by currency
      order by currency`,
    [operatorId, PaymentStatus.SUCCEEDED, from, to],
  );
  return rows.map((row) => ({
    currency: row.currency,
    gross: exactInteger(row.gross),
    applicationFees: exactInteger(row.fees),
    refunded: exactInteger(row.refunded),
    net: exactInteger(row.net),
    paymentCount: exactInteger(row.payments),
  }));
}

export const paymentById = byId((ctx, ids) => ctx.em.find(Payment, { id: { $in: ids.filter(isUuid) } }));

export const paymentBySession: LoaderFactory<string, Payment | null> = (ctx) =>
  new DataLoader<string, Payment | null>(async (sessionIds) => {
    const rows = await ctx.em.find(Payment, { sessionId: { $in: sessionIds.filter(isUuid) } });
    const bySession = new Map(rows.map((row) => [row.sessionId, row]));
    return sessionIds.map((id) => bySession.get(id) ?? null);
  });
