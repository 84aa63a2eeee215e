import { IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Money } from '../../../platform/money.js';
import { RefundReason } from '../refund/refund.entity.js';
import { PaymentStatus } from './payment.status.js';

@InputType()
export class AuthorizeChargingSessionInput {
  @Field(() => ID)
  @IsUUID()
  sessionId!: string;

  @Field(() => ID, { description: "One of the driver's saved payment methods (myPaymentMethods)." })
  @IsUUID()
  paymentMethodId!: string;
}

@InputType()
export class RefundPaymentInput {
  @Field(() => ID)
  @IsUUID()
  paymentId!: string;

  @Field(() => Int, { nullable: true, description: 'Minor units; left out = everything not yet refunded.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  amount?: number;

  @Field(() => RefundReason, { defaultValue: RefundReason.REQUESTED_BY_CUSTOMER })
  reason: RefundReason = RefundReason.REQUESTED_BY_CUSTOMER;
}

@InputType()
export class PaymentFilter {
  @Field(() => PaymentStatus, { nullable: true })
  @IsOptional()
  status?: PaymentStatus;
}

@ObjectType({ description: 'What a driver gets for a succeeded payment.' })
export class Receipt {
  @Field(() => String, { description: 'Unique and stable for the payment.' })
  number!: string;

  @Field(() => Date)
  issuedAt!: Date;

  @Field(() => Money)
  amount!: Money;

  @Field(() => String, { nullable: true })
  cardBrand?: string | null;

  @Field(() => String, { nullable: true })
  cardLast4?: string | null;
}

@ObjectType({ description: "One currency of an operator's revenue over a period; amounts in minor units." })
export class RevenueByCurrency {
  @Field(() => String)
  currency!: string;

  @Field(() => Money, { description: 'Everything charged.' })
  gross!: Money;

  @Field(() => Money, { description: "The platform's application fees." })
  applicationFees!: Money;

  @Field(() => Money, { description: 'Refunded from these payments so far.' })
  refunded!: Money;

  @Field(() => Money, { description: "gross − applicationFees − refunded (before the provider's own fees)." })
  net!: Money;

  @Field(() => Int)
  paymentCount!: number;
}

/** Service-only (the session subgraph): what came of raising a session's hold. */
@ObjectType({ description: 'The answer to incrementSessionHold; a decline or an unsupported card is no error.' })
@Directive('@inaccessible')
export class SessionHoldIncrement {
  @Field(() => Boolean, { description: 'True when the hold now covers the amount asked for.' })
  incremented!: boolean;

  @Field(() => Int, { description: 'What is authorised now, in minor units of the hold currency.' })
  authorizedAmount!: number;

  @Field(() => String, {
    nullable: true,
    description:
      'Why not: a decline code, incremental_authorization_unavailable, hold_not_open (no open authorisation), no_hold.',
  })
  reason?: string | null;
}
