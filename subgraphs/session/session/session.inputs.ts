import { IsOptional, IsUUID, Length, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { ChargingSessionStatus } from './session.entity.js';

@InputType()
export class StartChargingSessionInput {
  @Field(() => ID)
  @IsUUID()
  stationId!: string;

  @Field(() => ID, { description: "One of the station's connectors." })
  @Length(1, 100)
  connectorId!: string;

  @Field(() => ID, {
    nullable: true,
    description: "One of the driver's saved cards for the hold; default: the newest saved card.",
  })
  @IsOptional()
  @Length(1, 100)
  paymentMethodId?: string;
}

@InputType()
export class RecordMeterValueInput {
  @Field(() => ID)
  @IsUUID()
  sessionId!: string;

  @Field(() => Int, {
    description: 'Energy delivered since the session started (Wh, cumulative); never lower than the last value.',
  })
  @Min(0)
  energyWh!: number;

  @Field(() => Date, {
    description:
      "When the meter was read; not before the last value, not in the future, and no more energy since the last value than the connector's power allows.",
  })
  measuredAt!: Date;
}

@InputType({ description: 'Every given field must match.' })
export class ChargingSessionFilter {
  @Field(() => ChargingSessionStatus, { nullable: true })
  @IsOptional()
  status?: ChargingSessionStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  stationId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  operatorId?: string;
}
