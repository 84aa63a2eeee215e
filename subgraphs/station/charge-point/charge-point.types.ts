import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ChargePoint } from './charge-point.entity.js';

@ObjectType({ description: 'A charge point just registered, or its password just rotated.' })
export class RegisteredChargePoint {
  @Field(() => ChargePoint)
  chargePoint!: ChargePoint;

  @Field(() => String, {
    description: 'Its OCPP Basic auth password. Shown this once: only a hash is stored. Rotate it if lost.',
  })
  password!: string;
}

/** Service-only: a connector as the OCPP process maps it (OCPP connector number ↔ our id). */
@ObjectType()
@Directive('@inaccessible')
export class ChargePointConnector {
  @Field(() => Int)
  ocppConnectorId!: number;

  @Field(() => ID)
  connectorId!: string;

  @Field(() => Float)
  powerKw!: number;
}

/** Service-only: what the OCPP process learns about a charge point whose password it verified. */
@ObjectType()
@Directive('@inaccessible')
export class ChargePointLogin {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  chargePointId!: string;

  @Field(() => ID)
  stationId!: string;

  @Field(() => ID)
  operatorId!: string;

  @Field(() => [ChargePointConnector], { description: 'The station’s connectors in OCPP order.' })
  connectors!: ChargePointConnector[];
}
