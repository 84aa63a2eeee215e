import { Entity, Enum, ManyToOne, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Money } from '../../../platform/money.js';
import { Payment } from '../payment/payment.entity.js';
import { DisputeStatus } from '../payment/payment.status.js';

/**
 * A card dispute (chargeback) of a payment, as the provider reports it: the read model of its ledger entries
 * (opened, funds withdrawn with the provider's dispute fee, reinstated, won or lost). Written only by
 * dispute.transitions.ts. The receiving operator's admins and the platform see it (`Payment.disputes`).
 */
@ObjectType({ description: "A card dispute (chargeback) of a payment, on the operator's account." })
@Entity({ tableName: 'dispute' })
export class Dispute extends BaseEntity {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'status'
    | 'fundsWithdrawn'
    | 'fundsReinstated'
    | 'fee'
    | 'amountMoney'
    | 'fundsWithdrawnMoney'
    | 'fundsReinstatedMoney'
    | 'feeMoney';

  @ManyToOne({ entity: () => Payment, deleteRule: 'restrict', index: true })
  payment!: Payment;

  /** dp_… on the operator's account. Private. */
  @Unique()
  @Property({ type: 'string', length: 255 })
  providerDisputeId!: string;

  @Property({ type: 'integer', check: 'amount >= 0' })
  amount!: number;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Field(() => String, { description: "The card network's reason, in the provider's words (e.g. fraudulent)." })
  @Property({ type: 'string', length: 100 })
  reason!: string;

  @Field(() => DisputeStatus)
  @Enum({ items: () => DisputeStatus, type: 'string', nativeEnumName: undefined })
  status: DisputeStatus = DisputeStatus.OPEN;

  @Field(() => Date, {
    nullable: true,
    description: 'Evidence must reach the provider before this time, or the dispute is lost.',
  })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  evidenceDueBy?: Date | null;

  @Property({ type: 'integer', check: 'funds_withdrawn >= 0' })
  fundsWithdrawn: number = 0;

  @Property({ type: 'integer', check: 'funds_reinstated >= 0' })
  fundsReinstated: number = 0;

  /** The provider's dispute fee (not returned when the dispute is won). */
  @Property({ type: 'integer', check: 'fee >= 0' })
  fee: number = 0;

  @Field(() => Money, { name: 'amount' })
  get amountMoney(): Money {
    return Money.of(this.amount, this.currency);
  }

  @Field(() => Money, { name: 'fundsWithdrawn', description: 'Taken from the operator when the dispute opened.' })
  get fundsWithdrawnMoney(): Money {
    return Money.of(this.fundsWithdrawn, this.currency);
  }

  @Field(() => Money, { name: 'fundsReinstated', description: 'Given back to the operator when it was won.' })
  get fundsReinstatedMoney(): Money {
    return Money.of(this.fundsReinstated, this.currency);
  }

  @Field(() => Money, { name: 'fee', description: "The provider's dispute fee, charged to the operator." })
  get feeMoney(): Money {
    return Money.of(this.fee, this.currency);
  }
}
