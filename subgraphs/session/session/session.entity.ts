import { Check, Embeddable, Embedded, Entity, Enum, Index, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Decimal } from '../../common/decimal.js';
import { BaseEntity } from '../../common/entity.js';
import { conflict } from '../../common/errors.js';
import { Money } from '../../common/money.js';
import { billableSeconds, priceSession, type PriceBreakdown, type PricingTariff } from '../pricing/pricing.js';

export enum ChargingSessionStatus {
  ACTIVE = 'ACTIVE',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ChargingSessionStatus, {
  name: 'ChargingSessionStatus',
  description: 'Moves forward only: ACTIVE, then once to COMPLETED, FAILED or CANCELLED.',
});

export type EndedStatus = Exclude<ChargingSessionStatus, ChargingSessionStatus.ACTIVE>;

/** Names of the partial unique indexes that keep one ACTIVE session per connector and per driver. */
export const ACTIVE_CONNECTOR_INDEX = 'charging_session_active_connector_unique';
export const ACTIVE_DRIVER_INDEX = 'charging_session_active_driver_unique';
export const SESSION_OPERATOR_ANALYTICS_INDEX = 'charging_session_operator_started_analytics_index';
export const SESSION_STATION_ANALYTICS_INDEX = 'charging_session_station_started_analytics_index';

/** The station's tariff copied at start: the price cannot change under a driver who is charging. */
@ObjectType('TariffSnapshot', {
  description:
    'The tariff as it was when the session started; the session is priced from it. Prices are net, tax comes on top.',
})
@Embeddable()
export class TariffSnapshot implements PricingTariff {
  @Field(() => ID, { name: 'tariffId', description: "The station subgraph's Tariff this was copied from." })
  @Property({ type: 'uuid' })
  id!: string;

  @Field(() => String, { description: 'ISO 4217 currency of every amount of the session.' })
  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Field(() => Decimal, { description: 'Net price per kWh in major units.' })
  @Property({ type: 'decimal', precision: 18, scale: 6 })
  energyPricePerKwh!: string;

  @Field(() => Decimal, { description: 'Net price per hour connected in major units.' })
  @Property({ type: 'decimal', precision: 18, scale: 6 })
  timePricePerHour!: string;

  @Property({ type: 'integer' })
  sessionFeeAmount!: number;

  @Field(() => Int, { description: 'Tax rate in 1/100 of a percent (1900 = 19 %).' })
  @Property({ type: 'integer' })
  taxRateBasisPoints!: number;

  @Property({ type: 'integer' })
  preAuthorizationAmount!: number;

  @Field(() => Money, { description: 'Net flat fee per session.' })
  get sessionFee(): Money {
    return Money.of(this.sessionFeeAmount, this.currency);
  }

  @Field(() => Money, { description: "Amount the payment service holds on the driver's card at start." })
  get preAuthorization(): Money {
    return Money.of(this.preAuthorizationAmount, this.currency);
  }
}

/** The amounts fixed when a session ends, so payment and analytics read one number that never moves. */
@Embeddable()
export class FinalPrice implements PriceBreakdown {
  @Property({ type: 'integer' })
  energy!: number;

  @Property({ type: 'integer' })
  time!: number;

  @Property({ type: 'integer' })
  sessionFee!: number;

  @Property({ type: 'integer' })
  tax!: number;

  @Property({ type: 'integer' })
  total!: number;

  static of(price: PriceBreakdown): FinalPrice {
    return Object.assign(new FinalPrice(), price);
  }
}

@ObjectType('ChargingSession', {
  description: 'A driver charging at one connector of a station, priced from the tariff snapshot taken at start.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'charging_session' })
@Index({ properties: ['driverId', 'id'] })
@Index({ properties: ['operatorId', 'id'] })
@Index({ properties: ['stationId', 'id'] })
// Analytics (subgraphs/session/analytics): sessions by operator or station and start time, covering what the sums read.
@Index({
  name: SESSION_OPERATOR_ANALYTICS_INDEX,
  expression: `create index "${SESSION_OPERATOR_ANALYTICS_INDEX}" on "charging_session" ("operator_id", "started_at") include ("status", "ended_at", "energy_wh", "time_zone")`,
})
@Index({
  name: SESSION_STATION_ANALYTICS_INDEX,
  expression: `create index "${SESSION_STATION_ANALYTICS_INDEX}" on "charging_session" ("station_id", "started_at") include ("status", "ended_at", "energy_wh", "time_zone")`,
})
// The database, not a read-then-write check, decides who wins a connector: two concurrent starts cannot both insert.
// Keyed by station too, so connector ids only need to be unique within their station.
// One ACTIVE session per driver as well: a double tap on two connectors must not start two sessions (and two card
// holds). A fleet gives each vehicle a driver identity of its own.
@Unique({
  name: ACTIVE_CONNECTOR_INDEX,
  expression: `create unique index "${ACTIVE_CONNECTOR_INDEX}" on "charging_session" ("station_id", "connector_id") where "status" = 'ACTIVE'`,
})
@Unique({
  name: ACTIVE_DRIVER_INDEX,
  expression: `create unique index "${ACTIVE_DRIVER_INDEX}" on "charging_session" ("driver_id") where "status" = 'ACTIVE'`,
})
@Check({
  name: 'charging_session_ended_consistently',
  expression: `("status" = 'ACTIVE' and "ended_at" is null and "cost_total" is null) or ("status" <> 'ACTIVE' and "ended_at" is not null and "cost_total" is not null)`,
})
export class ChargingSession extends BaseEntity {
  [OptionalProps]?: 'status' | 'startedAt' | 'energyWh' | 'createdAt' | 'updatedAt';

  @Field(() => ChargingSessionStatus)
  @Enum({ items: () => ChargingSessionStatus, type: 'string', nativeEnumName: undefined })
  status: ChargingSessionStatus = ChargingSessionStatus.ACTIVE;

  /** Exposed as the `station` federation stub. */
  @Property({ type: 'uuid' })
  stationId!: string;

  @Field(() => ID, { description: 'The connector of the station being charged at.' })
  @Property({ type: 'string', length: 100 })
  connectorId!: string;

  @Field(() => ID, { description: 'The driver who started the session.' })
  @Property({ type: 'string', length: 200 })
  driverId!: string;

  /** The station's operator at start, as the station subgraph reported it; the payment goes to this operator. */
  @Property({ type: 'uuid' })
  operatorId!: string;

  @Field(() => Date)
  @Property({ type: 'Date', columnType: 'timestamptz' })
  startedAt: Date = new Date();

  /** The station's IANA time zone at start, as the station subgraph reported it: analytics count the session on
   *  the local date it started there, and the payment copies it. Null for sessions started before it was kept. */
  @Field(() => String, {
    nullable: true,
    description: 'IANA time zone of the station when the session started, e.g. Asia/Tokyo.',
  })
  @Property({ type: 'string', length: 64, nullable: true })
  timeZone?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the session ended; null while ACTIVE.' })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  endedAt?: Date;

  @Field(() => Int, { description: 'Energy delivered so far (Wh), from the latest meter value.' })
  @Property({ type: 'integer' })
  energyWh: number = 0;

  /** measuredAt of the latest meter value: later values must not go back before it. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastMeterAt?: Date;

  @Field(() => TariffSnapshot)
  @Embedded(() => TariffSnapshot, { prefix: 'tariff_' })
  tariff!: TariffSnapshot;

  /** Set once, when the session ends. */
  @Embedded(() => FinalPrice, { prefix: 'cost_', nullable: true })
  finalPrice?: FinalPrice;

  /** Fixed amounts once ended; while ACTIVE, the price up to `now`. */
  costAt(now: Date): PriceBreakdown {
    return (
      this.finalPrice ??
      priceSession(this.tariff, { energyWh: this.energyWh, seconds: billableSeconds(this.startedAt, now) })
    );
  }

  assertActive(action: string): void {
    if (this.status !== ChargingSessionStatus.ACTIVE)
      throw conflict(`Cannot ${action} charging session ${this.id}: it has already ended (${this.status}).`);
  }

  /** The only transition there is: ACTIVE → an ended status, once, with the price fixed at that moment. */
  end(status: EndedStatus, at: Date): void {
    this.assertActive('end');
    this.finalPrice = FinalPrice.of(this.costAt(at));
    this.status = status;
    this.endedAt = at;
  }
}
