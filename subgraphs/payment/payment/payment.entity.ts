import { Entity, Enum, Index, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Money } from '../../../platform/money.js';
import { AttemptKind, DisputeStatus, PaymentStatus } from './payment.status.js';

@ObjectType({
  description: "The payment of one charging session, made directly on the session operator's payment account.",
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'payment' })
// Revenue per operator and period, and the operator's payment list, read only this index.
@Index({ properties: ['operatorId', 'status', 'capturedAt'] })
@Index({ properties: ['operatorId', 'id'] })
export class Payment extends BaseEntity {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'attempt'
    | 'refundedAmount'
    | 'needsAttention'
    | 'version'
    | 'status'
    | 'amountMoney'
    | 'authorizedAmountMoney'
    | 'applicationFee'
    | 'refundedAmountMoney'
    | 'applicationFeeRefundedAmount';

  /** At most one payment per session, whatever the retries: the database says so. */
  @Unique()
  @Property({ type: 'uuid' })
  sessionId!: string;

  @Property({ type: 'uuid' })
  operatorId!: string;

  @Index()
  @Property({ type: 'string', length: 255 })
  driverId!: string;

  /** The operator's connected account the money goes to, fixed per attempt. Private. Null only on a row the
   *  sweeper flagged before any attempt (e.g. the operator was not payable). */
  @Property({ type: 'string', length: 255, nullable: true })
  providerAccountId?: string | null;

  /** The current attempt's PaymentIntent (pi_…). Private. */
  @Unique()
  @Property({ type: 'string', length: 255, nullable: true })
  paymentIntentId?: string | null;

  /** Starts at 1; a new attempt after FAILED/CANCELED gets fresh idempotency keys. */
  @Property({ type: 'integer' })
  attempt: number = 1;

  @Enum({ items: () => AttemptKind, type: 'string', nativeEnumName: undefined })
  kind!: AttemptKind;

  @Field(() => PaymentStatus)
  @Index()
  @Enum({ items: () => PaymentStatus, type: 'string', nativeEnumName: undefined })
  status: PaymentStatus = PaymentStatus.PENDING;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Property({ type: 'integer', nullable: true, check: 'authorized_amount >= 0' })
  authorizedAmount?: number | null;

  /** The final amount to charge, fixed before the provider is called (so a retry sends identical parameters). */
  @Property({ type: 'integer', nullable: true, check: 'amount >= 0' })
  amount?: number | null;

  @Property({ type: 'integer', nullable: true, check: 'application_fee_amount >= 0' })
  applicationFeeAmount?: number | null;

  @Property({ type: 'integer', check: 'refunded_amount >= 0' })
  refundedAmount: number = 0;

  /** The part of the application fee the platform gave back with refunds (fee policy). Private. */
  @Property({ type: 'integer', default: 0, check: 'application_fee_refunded_amount >= 0' })
  applicationFeeRefundedAmount: number = 0;

  /** What the provider charged the operator for processing this payment, from its balance transaction. Private. */
  @Property({ type: 'integer', nullable: true, check: 'provider_fee_amount >= 0' })
  providerFeeAmount?: number | null;

  @Field(() => DisputeStatus, {
    nullable: true,
    description: "The state of the payment's latest dispute, if any (the disputes themselves: `disputes`).",
  })
  @Enum({ items: () => DisputeStatus, type: 'string', nativeEnumName: undefined, nullable: true })
  disputeStatus?: DisputeStatus | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed, e.g. card_declined, insufficient_funds.',
  })
  @Property({ type: 'string', length: 100, nullable: true })
  failureCode?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 500, nullable: true })
  failureMessage?: string | null;

  @Field(() => Boolean, { description: 'Set by the sweeper when the session could not be charged automatically.' })
  @Property({ type: 'boolean' })
  needsAttention: boolean = false;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 100, nullable: true })
  attentionReason?: string | null;

  /** The saved card this attempt uses (receipts keep the brand/last4 snapshot below even if it is removed). */
  @Property({ type: 'uuid', nullable: true })
  savedPaymentMethodId?: string | null;

  @Property({ type: 'string', length: 32, nullable: true })
  cardBrand?: string | null;

  @Property({ type: 'string', length: 4, nullable: true })
  cardLast4?: string | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  capturedAt?: Date | null;

  /** The station's IANA time zone, copied from the session when the payment is created: analytics count the
   *  payment on the local date of its capture there (payment/analytics). Private. Null for payments older than the
   *  column (read as UTC). */
  @Property({ type: 'string', length: 64, nullable: true })
  timeZone?: string | null;

  /** Optimistic lock: every update is `… WHERE id = ? AND version = ?`. */
  @Property({ type: 'integer', version: true })
  version!: number;

  @Field(() => Money, {
    name: 'amount',
    nullable: true,
    description: 'The amount charged; null until the session is priced.',
  })
  get amountMoney(): Money | null {
    return this.amount == null ? null : Money.of(this.amount, this.currency);
  }

  @Field(() => Money, {
    name: 'authorizedAmount',
    nullable: true,
    description: 'The hold placed when the session started, if any.',
  })
  get authorizedAmountMoney(): Money | null {
    return this.authorizedAmount == null ? null : Money.of(this.authorizedAmount, this.currency);
  }

  @Field(() => Money, {
    nullable: true,
    description: "The platform's application fee; null until the session is priced.",
  })
  get applicationFee(): Money | null {
    return this.applicationFeeAmount == null ? null : Money.of(this.applicationFeeAmount, this.currency);
  }

  @Field(() => Money, { name: 'refundedAmount' })
  get refundedAmountMoney(): Money {
    return Money.of(this.refundedAmount, this.currency);
  }
}
/** The connected account this payment's money goes to. */
export function accountOf(payment: Payment): string {
  if (!payment.providerAccountId) throw new Error(`payment ${payment.id} has no provider account`);
  return payment.providerAccountId;
}
