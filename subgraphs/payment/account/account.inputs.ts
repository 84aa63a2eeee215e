import { IsInt, IsUUID, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';

@InputType()
export class SetOperatorFeePolicyInput {
  @Field(() => ID)
  @IsUUID()
  operatorId!: string;

  @Field(() => Int, { description: 'Percentage in basis points (100 = 1 %), 0–10000.' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  basisPoints!: number;

  @Field(() => Int, { defaultValue: 0, description: "Fixed part in minor units of the payment's currency (≥ 0)." })
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  fixedAmount: number = 0;

  @Field(() => Boolean, {
    defaultValue: true,
    description: 'Refunds give back the fee in proportion (true) or the platform keeps it (false).',
  })
  refundApplicationFee: boolean = true;
}
