import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Completed sessions summed per operator and local date of start (in the station's time zone) — the table the
 * per-operator energy analytics read, so a month is at most 31 rows however many sessions it had.
 *
 * Kept by PostgreSQL itself: the trigger `session_energy_daily` on `charging_session` (migration
 * Migration20261124132004) applies every change of a completed session in the same transaction, whoever writes the
 * row (the ORM, raw SQL, the bulk loader). The entity only declares the table for the migrations; nothing writes it
 * through the ORM.
 */
@Entity({ tableName: 'session_energy_daily' })
export class SessionEnergyDaily {
  @PrimaryKey({ type: 'uuid' })
  operatorId!: string;

  @PrimaryKey({ type: 'date' })
  localDate!: string;

  @Property({ type: 'integer', default: 0 })
  sessions!: number;

  @Property({ type: 'bigint', default: 0 })
  energyWh!: string;

  /** Charging time in seconds, exact to the microsecond (as `extract(epoch from ended_at - started_at)`). */
  @Property({ type: 'decimal', precision: 24, scale: 6, default: 0 })
  seconds!: string;
}
