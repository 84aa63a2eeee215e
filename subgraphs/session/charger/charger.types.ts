import { IsOptional, Length, Min } from 'class-validator';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

/*
 * Service-only types of the charger operations (called by the OCPP process): @inaccessible, so they are not in the
 * public API schema. The OCPP process passes the station it learnt at the charger's login and maps OCPP connector
 * numbers to connector ids.
 */

export enum IdTagStatus {
  ACCEPTED = 'ACCEPTED',
  INVALID = 'INVALID',
  BLOCKED = 'BLOCKED',
  CONCURRENT_TX = 'CONCURRENT_TX',
}
registerEnumType(IdTagStatus, { name: 'IdTagStatus', description: "A charger's idTag, as OCPP answers it." });

/** Every charger call names the charge point and the station it logged in for (its fields are inherited). */
@InputType()
abstract class ChargerCallInput {
  @Field(() => String)
  @Length(1, 100)
  chargePointId!: string;

  @Field(() => ID)
  @Length(1, 100)
  stationId!: string;
}

/** A call about one of the charge point's transactions. */
@InputType()
abstract class ChargerTransactionCallInput extends ChargerCallInput {
  @Field(() => String)
  @Length(1, 64)
  transactionId!: string;
}

@InputType('ChargerAuthorizeInput')
@Directive('@inaccessible')
export class ChargerAuthorizeInput extends ChargerCallInput {
  @Field(() => String)
  @Length(1, 36)
  idTag!: string;
}

@InputType('ChargerStartTransactionInput')
@Directive('@inaccessible')
export class ChargerStartTransactionInput extends ChargerCallInput {
  @Field(() => ID)
  @Length(1, 100)
  connectorId!: string;

  @Field(() => String)
  @Length(1, 36)
  idTag!: string;

  @Field(() => Int, { nullable: true, description: 'Energy register at the start (Wh); 0 when omitted.' })
  @IsOptional()
  @Min(0)
  meterStartWh?: number;

  @Field(() => Date)
  timestamp!: Date;

  @Field(() => Int, { nullable: true, description: '2.0.1: the remoteStartId of our RequestStartTransaction.' })
  @IsOptional()
  remoteStartId?: number;

  @Field(() => String, {
    nullable: true,
    description: "2.0.1: the charger's transaction id; 1.6: omitted (we assign).",
  })
  @IsOptional()
  @Length(1, 64)
  transactionId?: string;
}

@ObjectType('ChargerTransactionStart')
@Directive('@inaccessible')
export class ChargerTransactionStart {
  @Field(() => String)
  transactionId!: string;

  @Field(() => IdTagStatus)
  idTagStatus!: IdTagStatus;

  @Field(() => ID, { nullable: true })
  sessionId?: string | null;
}

@InputType('ChargerMeterValueInput')
@Directive('@inaccessible')
export class ChargerMeterValueInput extends ChargerTransactionCallInput {
  @Field(() => Int, { description: "The charger's energy register (Energy.Active.Import.Register, Wh)." })
  @Min(0)
  energyRegisterWh!: number;

  @Field(() => Date)
  measuredAt!: Date;
}

@ObjectType('ChargerMeterValueResult')
@Directive('@inaccessible')
export class ChargerMeterValueResult {
  @Field(() => Boolean)
  accepted!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it was refused, e.g. METER_VALUE_IMPLAUSIBLE.' })
  code?: string | null;

  @Field(() => String, { nullable: true })
  message?: string | null;

  static ok(): ChargerMeterValueResult {
    return Object.assign(new ChargerMeterValueResult(), { accepted: true, code: null, message: null });
  }

  static refused(code: string, message: string): ChargerMeterValueResult {
    return Object.assign(new ChargerMeterValueResult(), { accepted: false, code, message });
  }
}

@InputType('ChargerStopTransactionInput')
@Directive('@inaccessible')
export class ChargerStopTransactionInput extends ChargerTransactionCallInput {
  @Field(() => Int, { nullable: true, description: 'Energy register at the stop (Wh).' })
  @IsOptional()
  @Min(0)
  meterStopWh?: number;

  @Field(() => Date)
  timestamp!: Date;

  @Field(() => String, { nullable: true, description: "The charger's stop reason (logged)." })
  @IsOptional()
  @Length(0, 100)
  reason?: string;
}
