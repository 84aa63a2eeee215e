import { Entity, Enum, Index, ManyToOne, OptionalProps, Property } from '@mikro-orm/core';
import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../common/entity.js';
import { Station } from '../station/station.entity.js';

export enum ConnectorStandard {
  CCS2 = 'CCS2',
  CHADEMO = 'CHADEMO',
  TYPE2 = 'TYPE2',
  GBT = 'GBT',
  NACS = 'NACS',
}
registerEnumType(ConnectorStandard, { name: 'ConnectorStandard', description: 'Plug standard of a connector.' });

export enum ConnectorStatus {
  AVAILABLE = 'AVAILABLE',
  CHARGING = 'CHARGING',
  OUT_OF_ORDER = 'OUT_OF_ORDER',
}
registerEnumType(ConnectorStatus, { name: 'ConnectorStatus' });

export const MAX_POWER_KW = 1000;

@ObjectType({ description: 'One plug of a station.' })
@Entity({ tableName: 'connector' })
export class Connector extends BaseEntity {
  [OptionalProps]?: 'status' | 'createdAt' | 'updatedAt';

  @Index()
  @ManyToOne({ entity: () => Station, deleteRule: 'cascade' })
  station!: Station;

  @Field(() => ConnectorStandard)
  @Enum({ items: () => ConnectorStandard, type: 'string', nativeEnumName: undefined })
  standard!: ConnectorStandard;

  @Field(() => Float, { description: `Maximum power in kW, above 0 and at most ${MAX_POWER_KW}.` })
  @Property({ type: 'double', runtimeType: 'number', check: `power_kw > 0 and power_kw <= ${MAX_POWER_KW}` })
  powerKw!: number;

  @Field(() => ConnectorStatus)
  @Enum({ items: () => ConnectorStatus, type: 'string', nativeEnumName: undefined })
  status: ConnectorStatus = ConnectorStatus.AVAILABLE;
}
