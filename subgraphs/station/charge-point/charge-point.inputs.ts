import { IsOptional, IsUUID, Matches, MaxLength } from 'class-validator';
import { Directive, Field, ID, InputType } from 'type-graphql';
import {
  CHARGE_POINT_ID_PATTERN,
  CHARGE_POINT_ID_RULE,
  MAX_CHARGER_INFO,
  OcppProtocol,
} from './charge-point.entity.js';

/** One `reportChargePointPresence` call carries at most this many reports (the OCPP process batches per tick). */
export const MAX_PRESENCE_REPORTS = 5000;

@InputType()
export class RegisterChargePointInput {
  @Field(() => ID)
  @IsUUID()
  stationId!: string;

  @Field(() => String, {
    description: 'Unique across the platform: 1 to 48 letters, digits or . _ : - (its OCPP identity).',
  })
  @Matches(CHARGE_POINT_ID_PATTERN, { message: CHARGE_POINT_ID_RULE })
  chargePointId!: string;
}

/** Service-only: what the OCPP process knows about one charger's connection. */
@InputType()
@Directive('@inaccessible')
export class ChargePointPresenceInput {
  @Field(() => String)
  @Matches(CHARGE_POINT_ID_PATTERN, { message: CHARGE_POINT_ID_RULE })
  chargePointId!: string;

  @Field(() => Boolean, { description: 'A replica holds a live connection to it.' })
  connected!: boolean;

  @Field(() => OcppProtocol, { nullable: true, description: 'Left out: unchanged.' })
  @IsOptional()
  protocol?: OcppProtocol | null;

  @Field(() => Date, { description: 'Its last message; older reports than the stored one are ignored.' })
  lastSeenAt!: Date;

  @Field(() => Date, { description: 'Offline past this instant unless a newer report comes (heartbeat deadline).' })
  offlineAfter!: Date;

  @Field(() => String, { nullable: true, description: 'From BootNotification; left out: unchanged.' })
  @IsOptional()
  @MaxLength(MAX_CHARGER_INFO)
  firmwareVersion?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_CHARGER_INFO)
  vendor?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_CHARGER_INFO)
  model?: string | null;
}
