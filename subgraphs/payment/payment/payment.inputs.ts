import { IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
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
export class PaymentFilter {
  @Field(() => PaymentStatus, { nullable: true })
  @IsOptional()
  status?: PaymentStatus;
}
