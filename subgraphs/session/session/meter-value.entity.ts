import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../../../platform/ids.js';
import { ChargingSession } from './session.entity.js';

/** Every meter value as received (append-only audit); the session keeps only the latest. */
@Entity({ tableName: 'meter_value' })
@Index({ properties: ['session', 'measuredAt'] })
export class MeterValue {
  [OptionalProps]?: 'recordedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => ChargingSession)
  session!: ChargingSession;

  /** Cumulative Wh since the session started. */
  @Property({ type: 'integer' })
  energyWh!: number;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  measuredAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  recordedAt: Date = new Date();

  /** Who sent it, e.g. "SERVICE:charger-gateway" or "OPERATOR_ADMIN:<subject>". */
  @Property({ type: 'string', length: 250 })
  recordedBy!: string;
}
