import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../../../platform/ids.js';
import { AttemptKind } from '../payment/payment.status.js';

export const DECLINE_ANALYTICS_INDEX = 'payment_decline_operator_declined_analytics_index';

/**
 * One payment attempt the card issuer refused (a decline, or authentication required off-session), appended when it
 * happens and never changed. The payment row cannot tell this story: a declined hold's row is deleted (so a new card
 * starts with new idempotency keys) and a later attempt overwrites a declined one. Written in the same transaction as
 * the payment change (`DeclineRecorder`), so a decline is recorded exactly when its effect is committed.
 * Not in the public schema: only the counts leave (`Operator.paymentStats`).
 */
@Entity({ tableName: 'payment_decline' })
@Index({
  name: DECLINE_ANALYTICS_INDEX,
  expression: `create index "${DECLINE_ANALYTICS_INDEX}" on "payment_decline" ("operator_id", "declined_at") include ("time_zone")`,
})
export class PaymentDecline {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  /** The payment (attempt) id; a declined hold's payment row no longer exists, so no foreign key. */
  @Property({ type: 'uuid' })
  paymentId!: string;

  @Property({ type: 'uuid' })
  sessionId!: string;

  @Property({ type: 'uuid' })
  operatorId!: string;

  @Property({ type: 'integer' })
  attempt!: number;

  @Enum({ items: () => AttemptKind, type: 'string', nativeEnumName: undefined })
  kind!: AttemptKind;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /** What was asked for: the hold amount or the charge amount, in minor units. */
  @Property({ type: 'integer', nullable: true })
  amount?: number | null;

  /** The issuer's reason (e.g. insufficient_funds, generic_decline), for a declined hold too. */
  @Property({ type: 'string', length: 100, nullable: true })
  failureCode?: string | null;

  /** Copied from the payment: analytics count the decline on its local date at the station. */
  @Property({ type: 'string', length: 64, nullable: true })
  timeZone?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  declinedAt!: Date;
}
