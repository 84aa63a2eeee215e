import { Entity, Index, OptionalProps, Property } from '@mikro-orm/core';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Decimal } from '../../../platform/subgraph/decimal.js';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { CATALOGUE } from '../cache-hints.js';

/**
 * numeric(18,6): the Decimal scalar's range (12 integer and 6 fractional digits), exact in the database.
 * A fresh object per property: MikroORM writes the property name into the options it is given.
 */
const decimalColumn = () => ({ type: 'decimal', precision: 18, scale: 6, runtimeType: 'string' }) as const;

@ObjectType({
  description: 'How an operator prices charging. Prices are net; tax is added on top when a session is priced.',
})
@Directive('@key(fields: "id")')
@Directive(CATALOGUE)
@Entity({ tableName: 'tariff' })
export class Tariff extends BaseEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  /** Owned by the operator subgraph: a key, not a foreign key. */
  @Index()
  @Property({ type: 'uuid' })
  operatorId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { description: 'ISO 4217 currency of every price of this tariff.' })
  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Field(() => Decimal, { description: 'Net price per kWh in major units, e.g. "0.349".' })
  @Property(decimalColumn())
  energyPricePerKwh!: string;

  @Field(() => Decimal, { description: 'Net price per hour connected in major units, e.g. "1.2".' })
  @Property(decimalColumn())
  timePricePerHour!: string;

  /** Exposed as `sessionFee: Money` (see TariffResolver). */
  @Property({ type: 'integer', check: 'session_fee_amount >= 0' })
  sessionFeeAmount!: number;

  @Field(() => Int, { description: 'Tax rate in basis points added on top of the net prices: 1900 = 19 %.' })
  @Property({ type: 'integer', check: 'tax_rate_basis_points between 0 and 10000' })
  taxRateBasisPoints!: number;

  /** Exposed as `preAuthorization: Money` (see TariffResolver). */
  @Property({ type: 'integer', check: 'pre_authorization_amount > 0' })
  preAuthorizationAmount!: number;
}
