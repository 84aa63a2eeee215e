import { Embeddable, Embedded, Entity, Index, ManyToOne, OptionalProps, Property } from '@mikro-orm/core';
import { Directive, Field, Float, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Tariff } from '../tariff/tariff.entity.js';
import { INHERIT_MAX_AGE } from '../../../platform/subgraph/cache-control.js';
import { CATALOGUE } from '../cache-hints.js';

@ObjectType({ description: 'A postal address.' })
@Directive(INHERIT_MAX_AGE)
@Embeddable()
export class Address {
  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  street!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  city!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 20 })
  postalCode!: string;

  @Field(() => String, { description: 'ISO 3166-1 alpha-2 country code.' })
  @Property({ type: 'string', length: 2 })
  country!: string;
}

@ObjectType({ description: 'A WGS 84 position in decimal degrees.' })
@Directive(INHERIT_MAX_AGE)
@Embeddable()
export class GeoPoint {
  @Field(() => Float)
  @Property({ type: 'double', runtimeType: 'number' })
  latitude!: number;

  @Field(() => Float)
  @Property({ type: 'double', runtimeType: 'number' })
  longitude!: number;
}

@ObjectType({ description: 'A charging station: a place with connectors, run by one operator under one tariff.' })
@Directive('@key(fields: "id")')
@Directive(CATALOGUE)
@Entity({ tableName: 'station' })
// (operator_id, id) serves both "stations of an operator" and its keyset pages in id order.
@Index({ properties: ['operatorId', 'id'] })
@Index({ properties: ['location.latitude', 'location.longitude'] })
export class Station extends BaseEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  /** Owned by the operator subgraph: a key, not a foreign key. */
  @Property({ type: 'uuid' })
  operatorId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => Address)
  @Embedded({ entity: () => Address, prefix: 'address_' })
  address!: Address;

  // No prefix: the geo filter addresses plain `latitude`/`longitude` columns.
  @Field(() => GeoPoint)
  @Embedded({ entity: () => GeoPoint, prefix: false })
  location!: GeoPoint;

  @Field(() => String, { description: 'IANA time zone of the station, e.g. Europe/Berlin.' })
  @Property({ type: 'string', length: 64 })
  timezone!: string;

  /** Resolved through a per-request loader (`Station.tariff`), hence no `@Field` here. */
  @ManyToOne({ entity: () => Tariff, deleteRule: 'restrict' })
  tariff!: Tariff;
}
