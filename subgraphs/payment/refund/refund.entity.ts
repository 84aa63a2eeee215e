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

export enum RefundStatus {
  /** Recorded before the provider call; or the provider reports it as still processing. */
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
}
registerEnumType(RefundStatus, { name: 'RefundStatus' });

@ObjectType({ description: 'Money an operator gave back from a payment, on its own account.' })
@Entity({ tableName: 'refund' })
export class Refund extends BaseEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'providerRefundId' | 'amountMoney' | 'refundApplicationFee';

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

  @Field(() => Money, { name: 'amount' })
  get amountMoney(): Money {
    return Money.of(this.amount, this.currency);
  }
}
