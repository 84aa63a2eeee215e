import { IsUUID, Length, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { Decimal } from '../../../platform/subgraph/decimal.js';
import { IsCurrencyCode, IsDisplayText } from '../../../platform/subgraph/validators.js';

@InputType({ description: "Prices are net of tax, in the tariff's currency." })
export class CreateTariffInput {
  @Field(() => ID)
  @IsUUID()
  operatorId!: string;

  @Field(() => String)
  @Length(1, 200)
  @IsDisplayText()
  name!: string;

  @Field(() => String, { description: 'ISO 4217, e.g. EUR.' })
  @IsCurrencyCode()
  currency!: string;

  // The Decimal scalar itself rejects negatives, non-numbers and more than 6 decimals.
  @Field(() => Decimal, { description: 'Net price per kWh in major units, e.g. "0.349".' })
  energyPricePerKwh!: string;

  @Field(() => Decimal, { description: 'Net price per hour connected in major units.' })
  timePricePerHour!: string;

  @Field(() => Int, { description: 'Net flat fee per session in minor units (cents), 0 or more.' })
  @Min(0)
  sessionFee!: number;

  @Field(() => Int, { description: 'Tax rate in basis points, 0 to 10000 (1900 = 19 %).' })
  @Min(0)
  @Max(10_000)
  taxRateBasisPoints!: number;

  @Field(() => Int, { description: 'Hold placed when a session starts, in minor units, above 0.' })
  @Min(1)
  preAuthorizationAmount!: number;
}
