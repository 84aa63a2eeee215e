import { Entity, Enum, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import type { FeePolicy } from '../payment/fees.js';

export enum OnboardingStatus {
  NOT_STARTED = 'NOT_STARTED',
  /** Account created; the operator has not finished the provider's onboarding yet. */
  PENDING = 'PENDING',
  COMPLETE = 'COMPLETE',
  /** The provider disabled charges or payouts (missing documents, review). */
  RESTRICTED = 'RESTRICTED',
}
registerEnumType(OnboardingStatus, {
  name: 'OnboardingStatus',
  description: 'How far an operator is with its payment provider onboarding.',
});

@ObjectType('FeePolicy', {
  description: "The platform's share of each payment to this operator (the application fee). Default: nothing.",
})
export class FeePolicyView implements FeePolicy {
  @Field(() => Int, { description: 'Percentage in basis points (100 = 1 %), rounded half up to a minor unit.' })
  basisPoints!: number;

  @Field(() => Int, { description: "Fixed part in minor units of the payment's currency." })
  fixedAmount!: number;

  @Field(() => Boolean, {
    description:
      'Does a refund give back the fee in proportion? Default true: a fully refunded session costs the driver and the operator nothing.',
  })
  refundApplicationFee!: boolean;
}

@ObjectType({
  description: "An operator's account with the payment provider: the money of its sessions lands here directly.",
})
@Entity({ tableName: 'operator_payment_account' })
export class OperatorPaymentAccount extends BaseEntity {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'providerAccountId'
    | 'chargesEnabled'
    | 'payoutsEnabled'
    | 'detailsSubmitted'
    | 'onboardingStatus'
    | 'feeBasisPoints'
    | 'feeFixedAmount'
    | 'refundApplicationFee'
    | 'providerStateAt'
    | 'feePolicy';

  @Field(() => ID)
  @Unique()
  @Property({ type: 'uuid' })
  operatorId!: string;

  /** The connected account id (acct_…). Private: never in the public schema. */
  @Unique()
  @Property({ type: 'string', length: 255, nullable: true })
  providerAccountId?: string | null;

  @Field(() => Boolean, { description: 'May sessions at this operator be charged?' })
  @Property({ type: 'boolean' })
  chargesEnabled: boolean = false;

  @Field(() => Boolean)
  @Property({ type: 'boolean' })
  payoutsEnabled: boolean = false;

  @Field(() => Boolean)
  @Property({ type: 'boolean' })
  detailsSubmitted: boolean = false;

  @Field(() => OnboardingStatus)
  @Enum({ items: () => OnboardingStatus, type: 'string', nativeEnumName: undefined })
  onboardingStatus: OnboardingStatus = OnboardingStatus.NOT_STARTED;

  @Property({ type: 'integer', check: 'fee_basis_points between 0 and 10000' })
  feeBasisPoints: number = 0;

  @Property({ type: 'integer', check: 'fee_fixed_amount >= 0' })
  feeFixedAmount: number = 0;

  @Property({ type: 'boolean', default: true })
  refundApplicationFee: boolean = true;

  @Field(() => Date, { nullable: true, description: "When the provider's view of the account was last applied." })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  providerStateAt?: Date | null;

  @Field(() => FeePolicyView)
  get feePolicy(): FeePolicyView {
    return Object.assign(new FeePolicyView(), {
      basisPoints: this.feeBasisPoints,
      fixedAmount: this.feeFixedAmount,
      refundApplicationFee: this.refundApplicationFee,
    });
  }
}
