import { Entity, Enum, Index, OptionalProps, Property } from '@mikro-orm/core';
import { Directive, Field, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { CATALOGUE } from '../cache-hints.js';

export enum OperatorStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(OperatorStatus, {
  name: 'OperatorStatus',
  description: 'A suspended operator keeps its data but takes no new sessions.',
});

@ObjectType({
  description: 'A charging-point operator: owns stations and receives the money for their sessions directly.',
})
@Directive('@key(fields: "id")')
@Directive(CATALOGUE)
@Entity({ tableName: 'operator' })
export class Operator extends BaseEntity {
  [OptionalProps]?: 'status' | 'postPaid' | 'createdAt' | 'updatedAt';

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { description: 'ISO 3166-1 alpha-2 country code.' })
  @Property({ type: 'string', length: 2 })
  country!: string;

  @Field(() => String, { description: 'ISO 4217 currency its tariffs default to.' })
  @Property({ type: 'string', length: 3 })
  defaultCurrency!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 320 })
  contactEmail!: string;

  @Field(() => OperatorStatus)
  @Enum({ items: () => OperatorStatus, type: 'string', nativeEnumName: undefined })
  @Index()
  status: OperatorStatus = OperatorStatus.ACTIVE;

  // The merchant of record on every receipt of its sessions (receipts keep a copy from when they were issued).
  @Field(() => String, { nullable: true, description: 'Registered legal name, as printed on receipts.' })
  @Property({ type: 'string', length: 200, nullable: true })
  legalName?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Registered address on one line (street, postal code, city, country), as printed on receipts.',
  })
  @Property({ type: 'string', length: 500, nullable: true })
  legalAddress?: string | null;

  @Field(() => String, { nullable: true, description: 'VAT identification number with country prefix (DE123456789).' })
  @Property({ type: 'string', length: 32, nullable: true })
  vatId?: string | null;

  @Field(() => Boolean, {
    description:
      "Post-paid: this operator's sessions start without a hold on the driver's card and are charged off-session at the end.",
  })
  @Property({ type: 'boolean', default: false })
  postPaid: boolean = false;
}
