import { Entity, Enum, ManyToOne, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Money } from '../../../platform/money.js';
import { Payment } from '../payment/payment.entity.js';

export enum RefundReason {
  REQUESTED_BY_CUSTOMER = 'REQUESTED_BY_CUSTOMER',
  DUPLICATE = 'DUPLICATE',
  FRAUDULENT = 'FRAUDULENT',
}
registerEnumType(RefundReason, { name: 'RefundReason' });

/** Transitions: refund.status.ts (PENDING → SUCCEEDED → FAILED; PENDING → FAILED | CANCELED). */
export enum RefundStatus {
  /** Recorded before the provider call; or the provider reports it as still processing. */
  PENDING = 'PENDING',
  /** The provider accepted it; a card refund can still fail afterwards (the issuer refuses it). */
  SUCCEEDED = 'SUCCEEDED',
  /** Final: the money stayed with the operator; its amount is refundable again. */
  FAILED = 'FAILED',
  /** Final: canceled before it was sent; its amount is refundable again. */
  CANCELED = 'CANCELED',
}
registerEnumType(RefundStatus, { name: 'RefundStatus' });

@ObjectType({ description: 'Money an operator gave back from a payment, on its own account.' })
@Entity({ tableName: 'refund' })
export class Refund extends BaseEntity {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'status'
    | 'providerRefundId'
    | 'amountMoney'
    | 'refundApplicationFee'
    | 'failureReason';

  @ManyToOne({ entity: () => Payment, deleteRule: 'restrict', index: true })
  payment!: Payment;

  /** re_… on the operator's account; null while the provider's answer is unknown. Private. */
  @Unique()
  @Property({ type: 'string', length: 255, nullable: true })
  providerRefundId?: string | null;

  @Property({ type: 'integer', check: 'amount > 0' })
  amount!: number;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /**
   * Gives back the platform's application fee in proportion: the operator's fee policy when the refund was recorded,
   * kept so that a replay sends the provider the same request (same idempotency key, same parameters).
   */
  @Property({ type: 'boolean', default: false })
  refundApplicationFee: boolean = false;

  @Field(() => RefundReason)
  @Enum({ items: () => RefundReason, type: 'string', nativeEnumName: undefined })
  reason!: RefundReason;

  @Field(() => RefundStatus)
  @Enum({ items: () => RefundStatus, type: 'string', nativeEnumName: undefined })
  status: RefundStatus = RefundStatus.PENDING;

  /** The provider's reason once the refund FAILED (e.g. `expired_or_canceled_card`); null otherwise. */
  @Field(() => String, { nullable: true, description: "Why the refund failed, in the provider's words (when FAILED)." })
  @Property({ type: 'string', length: 255, nullable: true })
  failureReason?: string | null;

  @Field(() => Money, { name: 'amount' })
  get amountMoney(): Money {
    return Money.of(this.amount, this.currency);
  }
}
