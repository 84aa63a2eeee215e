import { Entity, Enum, ManyToOne, OptionalProps, Property } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Station } from '../station/station.entity.js';

export enum OcppProtocol {
  OCPP16 = 'OCPP16',
  OCPP201 = 'OCPP201',
}
registerEnumType(OcppProtocol, {
  name: 'OcppProtocol',
  description: 'The OCPP version a charge point speaks: OCPP16 (1.6-J, subprotocol ocpp1.6), OCPP201 (ocpp2.0.1).',
});

/** The charge point's identity in its WebSocket URL and Basic auth user name (OCPP identifierString, ≤ 48). */
export const CHARGE_POINT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,48}$/;
export const CHARGE_POINT_ID_RULE =
  'chargePointId must be 1 to 48 characters, each a letter, a digit or one of . _ : -';

/** OCPP's longest firmware, vendor and model strings (2.0.1: 50 characters). */
export const MAX_CHARGER_INFO = 50;

@ObjectType({ description: "A station's charge point: the charger that connects to ChargeGraph over OCPP." })
@Entity({ tableName: 'charge_point' })
export class ChargePoint extends BaseEntity {
  [OptionalProps]?:
    | 'protocol'
    | 'connected'
    | 'lastSeenAt'
    | 'offlineAfter'
    | 'firmwareVersion'
    | 'vendor'
    | 'model'
    | 'createdAt'
    | 'updatedAt';

  /** One charge point per station (a unique index; `Station.chargePoints` is a list so this can grow later). */
  @ManyToOne({ entity: () => Station, deleteRule: 'cascade', unique: true })
  station!: Station;

  @Field(() => String, { description: 'Its id in ws://<host>/ocpp/<chargePointId> and its Basic auth user name.' })
  @Property({ type: 'string', length: 48, unique: true })
  chargePointId!: string;

  /** Salted HMAC-SHA256 of the password (charge-point.password.ts); never exposed. */
  @Property({ type: 'string', length: 32, hidden: true })
  passwordSalt!: string;

  @Property({ type: 'string', length: 64, hidden: true })
  passwordHash!: string;

  @Field(() => OcppProtocol, { nullable: true, description: 'What it spoke when it last connected.' })
  @Enum({ items: () => OcppProtocol, type: 'string', nativeEnumName: undefined, nullable: true })
  protocol?: OcppProtocol | null;

  /** A replica of the OCPP process holds a live connection (`ChargePoint.connected` also needs current heartbeats). */
  @Property({ type: 'boolean', default: false })
  connected: boolean = false;

  @Field(() => Date, { nullable: true, description: 'When it last sent a message.' })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastSeenAt?: Date | null;

  /** Past this instant without a newer presence report it counts as offline (missed heartbeats). */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  offlineAfter?: Date | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: MAX_CHARGER_INFO, nullable: true })
  firmwareVersion?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: MAX_CHARGER_INFO, nullable: true })
  vendor?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: MAX_CHARGER_INFO, nullable: true })
  model?: string | null;

  /** Connected now: a live connection whose heartbeats are current (same rule as connector.status.ts). */
  isConnected(now = new Date()): boolean {
    return this.connected && !!this.offlineAfter && now.getTime() <= this.offlineAfter.getTime();
  }
}
