import { IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { RefundReason } from './refund.entity.js';

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
