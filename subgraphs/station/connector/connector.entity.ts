import { Entity, Enum, Formula, Index, ManyToOne, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Station } from '../station/station.entity.js';
import { effectiveStatusSql, statusSourceSql } from './connector.status.js';
import { CATALOGUE, CONNECTOR_STATUS } from '../cache-hints.js';

export enum ConnectorStandard {
  CCS2 = 'CCS2',
  CHADEMO = 'CHADEMO',
  TYPE2 = 'TYPE2',
  GBT = 'GBT',
  NACS = 'NACS',
}
registerEnumType(ConnectorStandard, { name: 'ConnectorStandard', description: 'Plug standard of a connector.' });

// Values are only ever added: removing one would break clients that switch on it.
export enum ConnectorStatus {
  AVAILABLE = 'AVAILABLE',
  PREPARING = 'PREPARING',
  CHARGING = 'CHARGING',
  SUSPENDED = 'SUSPENDED',
  FINISHING = 'FINISHING',
  FAULTED = 'FAULTED',
  UNAVAILABLE = 'UNAVAILABLE',
  OFFLINE = 'OFFLINE',
  OUT_OF_ORDER = 'OUT_OF_ORDER',
}
registerEnumType(ConnectorStatus, {
  name: 'ConnectorStatus',
  valuesConfig: {
    SUSPENDED: { description: 'Charging paused by the car or the charger.' },
    FINISHING: { description: 'The transaction ended; the cable is still plugged in.' },
    OFFLINE: { description: "The station's charge point is not connected (or missed its heartbeats)." },
    OUT_OF_ORDER: { description: 'Set by the operator on a station without a charge point.' },
  },
});

export enum ConnectorStatusSource {
  CHARGER = 'CHARGER',
  MANUAL = 'MANUAL',
}
registerEnumType(ConnectorStatusSource, {
  name: 'ConnectorStatusSource',
  description: "Where a connector's status comes from: its station's charge point, or the operator's admins.",
});

/** What a platform session tells the connector (markConnectorSession). */
export enum ConnectorSessionState {
  STARTING = 'STARTING',
  CHARGING = 'CHARGING',
  ENDED = 'ENDED',
}
registerEnumType(ConnectorSessionState, { name: 'ConnectorSessionState' });

/** A session holds the connector while it is starting or charging; ENDED clears the hold, so it is never stored. */
export type ConnectorOccupancy = ConnectorSessionState.STARTING | ConnectorSessionState.CHARGING;

export const MAX_POWER_KW = 1000;

@ObjectType({ description: 'One plug of a station.' })
@Directive(CATALOGUE)
@Entity({ tableName: 'connector' })
@Unique({ properties: ['station', 'ocppConnectorId'] })
export class Connector extends BaseEntity {
  [OptionalProps]?:
    | 'reportedStatus'
    | 'statusReportedAt'
    | 'sessionId'
    | 'sessionState'
    | 'status'
    | 'statusSource'
    | 'createdAt'
    | 'updatedAt';

  @Index()
  @ManyToOne({ entity: () => Station, deleteRule: 'cascade' })
  station!: Station;

  @Field(() => Int, {
    description:
      'Its number at the charge point (OCPP connectorId; the EVSE id in OCPP 2.0.1): 1, 2, … in station order.',
  })
  @Property({ type: 'integer', check: 'ocpp_connector_id > 0' })
  ocppConnectorId!: number;

  @Field(() => ConnectorStandard)
  @Enum({ items: () => ConnectorStandard, type: 'string', nativeEnumName: undefined })
  standard!: ConnectorStandard;

  @Field(() => Float, { description: `Maximum power in kW, above 0 and at most ${MAX_POWER_KW}.` })
  @Property({ type: 'double', runtimeType: 'number', check: `power_kw > 0 and power_kw <= ${MAX_POWER_KW}` })
  powerKw!: number;

  /** The charger's last reported status, or the admin's on a station without a charge point. */
  @Enum({ items: () => ConnectorStatus, type: 'string', nativeEnumName: undefined })
  reportedStatus: ConnectorStatus = ConnectorStatus.AVAILABLE;

  /** When the charger said so: older reports arriving late do not overwrite newer ones. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  statusReportedAt?: Date | null;

  /** The platform session holding the connector (session subgraph's id), while it starts or charges. */
  @Property({ type: 'uuid', nullable: true })
  sessionId?: string | null;

  @Enum({ items: [ConnectorSessionState.STARTING, ConnectorSessionState.CHARGING], type: 'string', nullable: true })
  sessionState?: ConnectorOccupancy | null;

  /** Read-only, computed by PostgreSQL when the row is read (connector.status.ts), so filters and reads agree. */
  @Field(() => ConnectorStatus, {
    description:
      "The effective status: OFFLINE while the station's charge point is not connected; else the charger's (or, " +
      "without a charge point, the operator's); never AVAILABLE while a platform session holds the connector.",
  })
  @Directive(CONNECTOR_STATUS)
  @Formula((table) => effectiveStatusSql(table.alias), { type: 'string' })
  status!: ConnectorStatus;

  @Field(() => ConnectorStatusSource)
  @Directive(CONNECTOR_STATUS)
  @Formula((table) => statusSourceSql(table.alias), { type: 'string' })
  statusSource!: ConnectorStatusSource;
}
