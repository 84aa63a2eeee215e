import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Succeeded payments summed per operator, local date of capture (in the station's time zone) and currency — the
 * table revenue analytics read, so a month is at most 31 rows per currency however many payments it had.
 *
 * Kept by PostgreSQL itself: the trigger `payment_revenue_daily` on `payment` (migration Migration20261124092953)
 * adds every change of a succeeded payment (capture, refund, fee) in the same transaction, whoever writes the row
 * (the ORM, a webhook, raw SQL, the bulk loader). Money is integer minor units; `bigint` so sums never overflow.
 * The entity only declares the table for the migrations; nothing writes it through the ORM.
 */
@Entity({ tableName: 'payment_revenue_daily' })
export class PaymentRevenueDaily {
  @PrimaryKey({ type: 'uuid' })
  operatorId!: string;

  @PrimaryKey({ type: 'date' })
  localDate!: string;

  @PrimaryKey({ type: 'string', length: 3 })
  currency!: string;

  @Property({ type: 'bigint', default: 0 })
  gross!: string;

  @Property({ type: 'bigint', default: 0 })
  applicationFees!: string;

  /** Refunded so far from the payments captured that day (cohort view, like `Operator.revenue`). */
  @Property({ type: 'bigint', default: 0 })
  refunded!: string;

  @Property({ type: 'integer', default: 0 })
  payments!: number;

  /** Of those payments, how many were partly or fully refunded. */
  @Property({ type: 'integer', default: 0 })
  refundedPayments!: number;
}
