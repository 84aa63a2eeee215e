import { Entity, Index, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../../platform/subgraph/entity.js';

/** The driver's Customer on the platform account: created once per driver. */
@Entity({ tableName: 'driver_customer' })
export class DriverCustomer extends BaseEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @Unique()
  @Property({ type: 'string', length: 255 })
  driverId!: string;

  /** cus_… on the platform account. Private. */
  @Unique()
  @Property({ type: 'string', length: 255 })
  providerCustomerId!: string;
}

@ObjectType('PaymentMethod', {
  description: 'A card a driver saved on the platform. Only brand, last 4 digits and expiry are ever shown.',
})
@Entity({ tableName: 'saved_payment_method' })
@Index({ properties: ['driverId', 'removedAt'] })
export class SavedPaymentMethod extends BaseEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'removedAt' | 'fingerprint';

  @Property({ type: 'string', length: 255 })
  driverId!: string;

  /** pm_… attached to the driver's platform Customer. Private. */
  @Unique()
  @Property({ type: 'string', length: 255 })
  providerPaymentMethodId!: string;

  /** The provider's card fingerprint: the same card saved twice is one saved card. Private. */
  @Property({ type: 'string', length: 255, nullable: true })
  fingerprint?: string | null;

  @Field(() => String, { description: 'Card brand, e.g. visa, mastercard.' })
  @Property({ type: 'string', length: 32 })
  brand!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 4 })
  last4!: string;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  expMonth!: number;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  expYear!: number;

  /** Soft delete: payments keep pointing at the card they used. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  removedAt?: Date | null;
}
