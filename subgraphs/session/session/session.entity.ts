import { Check, Embeddable, Embedded, Entity, Enum, Index, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Decimal } from '../../../platform/subgraph/decimal.js';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { conflict } from '../../../platform/errors.js';
import { Money } from '../../../platform/money.js';
import { billableSeconds, priceSession, type PriceBreakdown, type PricingTariff } from '../pricing/pricing.js';

export enum ChargingSessionStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ChargingSessionStatus, {
  name: 'ChargingSessionStatus',
  description:
    'Moves forward only: PENDING (waiting for the charger to confirm), ACTIVE, then once to COMPLETED, FAILED or CANCELLED.',
});

export type EndedStatus = Exclude<ChargingSessionStatus, ChargingSessionStatus.PENDING | ChargingSessionStatus.ACTIVE>;

/** Statuses that hold the connector and the driver (the partial unique indexes cover both). */
export const OPEN_STATUSES = [ChargingSessionStatus.PENDING, ChargingSessionStatus.ACTIVE] as const;

export enum StopReason {
  /** The driver stopped it (app), or cancelled it before the charger confirmed. */
  DRIVER = 'DRIVER',
  /** A platform admin ended it. */
  ADMIN = 'ADMIN',
  /** The charger ended the transaction on its own (cable unplugged, stop button, EV full, fault…). */
  CHARGER = 'CHARGER',
  /** The cost reached the held amount and the hold could not be incremented. */
  HOLD_LIMIT = 'HOLD_LIMIT',
  /** No meter value and no charger contact for SESSION_IDLE_TIMEOUT_MS. */
  IDLE_TIMEOUT = 'IDLE_TIMEOUT',
  /** Older than SESSION_MAX_DURATION_MS. */
  MAX_DURATION = 'MAX_DURATION',
  /** The charger answered the remote start with Rejected, or could not be reached. */
  START_REJECTED = 'START_REJECTED',
  /** The charger accepted the remote start but never reported the transaction. */
  START_TIMEOUT = 'START_TIMEOUT',
  /** The hold on the driver's card failed (declined, no card, operator not payable). */
  HOLD_FAILED = 'HOLD_FAILED',
}
registerEnumType(StopReason, { name: 'ChargingSessionStopReason', description: 'Why a session ended.' });

/** Names of the partial unique indexes that keep one ACTIVE session per connector and per driver. */
export const ACTIVE_CONNECTOR_INDEX = 'charging_session_active_connector_unique';
export const ACTIVE_DRIVER_INDEX = 'charging_session_active_driver_unique';
export const SESSION_OPERATOR_ANALYTICS_INDEX = 'charging_session_operator_started_analytics_index';
export const SESSION_STATION_ANALYTICS_INDEX = 'charging_session_station_started_analytics_index';
/** A charge point's transaction ids are unique (1.6: ours, from a sequence; 2.0.1: the charger's). */
export const CHARGER_TRANSACTION_INDEX = 'charging_session_charger_transaction_unique';
/** Sequences of the ids the charger sees: 1.6 transaction ids and 2.0.1 remote start ids (OCPP integers). */
export const TRANSACTION_ID_SEQUENCE = 'charging_session_transaction_id_seq';
export const REMOTE_START_ID_SEQUENCE = 'charging_session_remote_start_id_seq';

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
// PENDING counts: a session waiting for its charger already holds the connector and the driver.
@Unique({
  name: ACTIVE_CONNECTOR_INDEX,
  expression: `create unique index "${ACTIVE_CONNECTOR_INDEX}" on "charging_session" ("station_id", "connector_id") where "status" in ('PENDING', 'ACTIVE')`,
})
@Unique({
  name: ACTIVE_DRIVER_INDEX,
  expression: `create unique index "${ACTIVE_DRIVER_INDEX}" on "charging_session" ("driver_id") where "status" in ('PENDING', 'ACTIVE')`,
})
@Unique({
  name: CHARGER_TRANSACTION_INDEX,
  expression: `create unique index "${CHARGER_TRANSACTION_INDEX}" on "charging_session" ("charge_point_id", "transaction_id") where "transaction_id" is not null`,
})
// The sweeps read open sessions only (a handful beside millions of ended ones).
@Index({
  name: 'charging_session_open_index',
  expression: `create index "charging_session_open_index" on "charging_session" ("status", "created_at") where "status" in ('PENDING', 'ACTIVE')`,
})
// Authorize / StartTransaction look an idTag up among open sessions.
@Index({
  name: 'charging_session_open_id_tag_index',
  expression: `create index "charging_session_open_id_tag_index" on "charging_session" ("ocpp_id_tag") where "status" in ('PENDING', 'ACTIVE')`,
})
@Index({
  name: 'charging_session_unsettled_index',
  expression: `create index "charging_session_unsettled_index" on "charging_session" ("ended_at") where "settled_at" is null and "ended_at" is not null`,
})
@Check({
  name: 'charging_session_ended_consistently',
  expression: `("status" in ('PENDING', 'ACTIVE') and "ended_at" is null and "cost_total" is null) or ("status" not in ('PENDING', 'ACTIVE') and "ended_at" is not null and "cost_total" is not null)`,
})
export class ChargingSession extends BaseEntity {
  [OptionalProps]?: 'status' | 'startedAt' | 'energyWh' | 'createdAt' | 'updatedAt';

  @Field(() => ChargingSessionStatus)
  @Enum({ items: () => ChargingSessionStatus, type: 'string', nativeEnumName: undefined })
  status: ChargingSessionStatus = ChargingSessionStatus.PENDING;

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

  @Field(() => Date, {
    description: "When charging started (the charger's confirmation); while PENDING, when the driver asked.",
  })
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

  @Field(() => Date, { nullable: true, description: 'When the session ended; null while PENDING or ACTIVE.' })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  endedAt?: Date;

  @Field(() => StopReason, { nullable: true, description: 'Why the session ended (or is being stopped).' })
  @Enum({ items: () => StopReason, type: 'string', nativeEnumName: undefined, nullable: true })
  stopReason?: StopReason | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the charger was told to stop; the session ends when the charger reports the stop.',
  })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  stopRequestedAt?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: "The station's charge point that runs this session; null at a station without one (manual).",
  })
  @Property({ type: 'string', length: 100, nullable: true })
  chargePointId?: string | null;

  /** The station's connector number for OCPP (1.6 connectorId, 2.0.1 EVSE id), copied at start. */
  @Property({ type: 'integer', nullable: true })
  ocppConnectorId?: number | null;

  /** The idTag the charger starts with: ours for an app start ("CG" + 18 random), the driver's RFID tag otherwise. */
  @Property({ type: 'string', length: 36, nullable: true })
  ocppIdTag?: string | null;

  /** 2.0.1 RequestStartTransaction.remoteStartId (from a sequence); 1.6 chargers ignore it. */
  @Property({ type: 'integer', nullable: true })
  remoteStartId?: number | null;

  /** The charger's transaction: 1.6 ids are ours (a sequence), 2.0.1 ids the charger's. */
  @Property({ type: 'string', length: 64, nullable: true })
  transactionId?: string | null;

  /** The charger's energy register (Wh) at the start; `energyWh` is the register minus this. */
  @Property({ type: 'integer', nullable: true })
  meterStartWh?: number | null;

  /** StartTransaction's own timestamp: a resent StartTransaction carries the same one. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  chargerStartedAt?: Date | null;

  /** The connector's power at start: meter values claiming more energy than it can deliver are refused. */
  @Property({ type: 'double', nullable: true })
  connectorPowerKw?: number | null;

  /** The amount authorised on the driver's card (minor units); null without a hold (post-paid operator). */
  @Property({ type: 'integer', nullable: true })
  heldAmount?: number | null;

  /** When the settle job released the connector and charged (or released the hold) for this ended session. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  settledAt?: Date | null;

  /** Until when one settler (the job, or a stop settling at once, on any replica) has this session to itself. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  settleClaimedUntil?: Date | null;

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

  /** Fixed amounts once ended; while ACTIVE, the price up to `now`; nothing but the flat fee while PENDING. */
  costAt(now: Date): PriceBreakdown {
    if (this.finalPrice) return this.finalPrice;
    const seconds = this.status === ChargingSessionStatus.ACTIVE ? billableSeconds(this.startedAt, now) : 0;
    return priceSession(this.tariff, { energyWh: this.energyWh, seconds });
  }

  isOpen(): boolean {
    return this.status === ChargingSessionStatus.PENDING || this.status === ChargingSessionStatus.ACTIVE;
  }

  assertActive(action: string): void {
    if (this.status === ChargingSessionStatus.PENDING)
      throw conflict(`Cannot ${action} charging session ${this.id}: the charger has not started it yet.`);
    if (this.status !== ChargingSessionStatus.ACTIVE)
      throw conflict(`Cannot ${action} charging session ${this.id}: it has already ended (${this.status}).`);
  }

  /*
   * The transitions, all here: PENDING → ACTIVE (once, when the charger or the manual path starts it), and
   * PENDING | ACTIVE → an ended status, once, with the price fixed at that moment.
   */

  /** PENDING → ACTIVE: charging runs from `at` (the charger's start, or now on the manual path). */
  activate(at: Date, charger?: { transactionId: string; meterStartWh: number; chargerStartedAt: Date }): void {
    if (this.status !== ChargingSessionStatus.PENDING)
      throw conflict(`Cannot start charging session ${this.id}: it is ${this.status}.`);
    this.status = ChargingSessionStatus.ACTIVE;
    this.startedAt = at;
    if (charger) {
      this.transactionId = charger.transactionId;
      this.meterStartWh = charger.meterStartWh;
      this.chargerStartedAt = charger.chargerStartedAt;
    }
  }

  /**
   * PENDING | ACTIVE → ended, once. A COMPLETED session is priced from what was delivered up to `at`; a FAILED or
   * CANCELLED one costs nothing (it is never charged).
   */
  end(status: EndedStatus, at: Date, reason: StopReason): void {
    if (!this.isOpen())
      throw conflict(`Cannot end charging session ${this.id}: it has already ended (${this.status}).`);
    if (status === ChargingSessionStatus.COMPLETED && this.status !== ChargingSessionStatus.ACTIVE)
      throw conflict(`Cannot complete charging session ${this.id}: it never started.`);
    const endedAt = at < this.startedAt ? this.startedAt : at;
    this.finalPrice = FinalPrice.of(
      status === ChargingSessionStatus.COMPLETED
        ? this.costAt(endedAt)
        : { energy: 0, time: 0, sessionFee: 0, tax: 0, total: 0 },
    );
    this.status = status;
    this.endedAt = endedAt;
    // A stop asked for earlier (driver, hold limit) keeps its reason when the charger confirms it.
    this.stopReason = this.stopReason ?? reason;
  }

  /** The charger was told to stop; the session ends when it reports the stop (or a sweep ends it). */
  requestStop(at: Date, reason: StopReason): void {
    this.assertActive('stop');
    this.stopRequestedAt = at;
    this.stopReason = reason;
  }
}
