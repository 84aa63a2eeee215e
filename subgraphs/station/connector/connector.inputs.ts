import { IsPositive, IsUUID, Max } from 'class-validator';
import { Field, Float, ID, InputType } from 'type-graphql';
import { ConnectorStandard, ConnectorStatus, MAX_POWER_KW } from './connector.entity.js';

@InputType()
export class ConnectorInput {
  @Field(() => ConnectorStandard)
  standard!: ConnectorStandard;

  @Field(() => Float, { description: `Maximum power in kW, above 0 and at most ${MAX_POWER_KW}.` })
  @IsPositive()
  @Max(MAX_POWER_KW)
  powerKw!: number;
}

@InputType()
export class SetConnectorStatusInput {
  @Field(() => ID)
  @IsUUID()
  stationId!: string;

  @Field(() => ID)
  @IsUUID()
  connectorId!: string;

  @Field(() => ConnectorStatus)
  status!: ConnectorStatus;
}
