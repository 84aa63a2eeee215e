import { IsInt, IsPositive, IsUUID, Matches, Max } from 'class-validator';
import { Directive, Field, Float, ID, InputType, Int } from 'type-graphql';
import { CHARGE_POINT_ID_PATTERN, CHARGE_POINT_ID_RULE } from '../charge-point/charge-point.entity.js';
import { ConnectorSessionState, ConnectorStandard, ConnectorStatus, MAX_POWER_KW } from './connector.entity.js';

@InputType()
export class ConnectorInput {
  @Field(() => ConnectorStandard)
  standard!: ConnectorStandard;

  @Field(() => Float, { description: `Maximum power in kW, above 0 and at most ${MAX_POWER_KW}.` })
  @IsPositive()
  @Max(MAX_POWER_KW)
  powerKw!: number;
}

/** The connector an input is about: its station and its id (its fields are inherited; it is referenced nowhere). */
@InputType()
abstract class ConnectorOfStationInput {
  @Field(() => ID)
  @IsUUID()
  stationId!: string;

  @Field(() => ID)
  @IsUUID()
  connectorId!: string;
}

@InputType()
export class SetConnectorStatusInput extends ConnectorOfStationInput {
  @Field(() => ConnectorStatus, {
    description: 'Any status but OFFLINE (which only a charge point that is not connected has).',
  })
  status!: ConnectorStatus;
}

/** Service-only: the OCPP process relays a charger's StatusNotification. */
@InputType()
@Directive('@inaccessible')
export class ReportConnectorStatusInput {
  @Field(() => String)
  @Matches(CHARGE_POINT_ID_PATTERN, { message: CHARGE_POINT_ID_RULE })
  chargePointId!: string;

  @Field(() => Int)
  @IsInt()
  @IsPositive()
  ocppConnectorId!: number;

  @Field(() => ConnectorStatus)
  status!: ConnectorStatus;

  @Field(() => Date, { description: "When the charger reported it (the message's timestamp, else when received)." })
  at!: Date;
}

/** Service-only: the session subgraph tells a connector that one of its sessions holds it, or let it go. */
@InputType()
@Directive('@inaccessible')
export class MarkConnectorSessionInput extends ConnectorOfStationInput {
  @Field(() => ID)
  @IsUUID()
  sessionId!: string;

  @Field(() => ConnectorSessionState)
  state!: ConnectorSessionState;
}
