import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';

/** A driver's RFID card: presenting it at a charger starts a session for that driver (and a hold on their card). */
@ObjectType('RfidTag', { description: "An RFID tag linked to the caller's account." })
@Entity({ tableName: 'rfid_tag' })
export class RfidTag {
  [OptionalProps]?: 'linkedAt';

  /** Unique across all drivers: one tag, one account. */
  @Field(() => String, { description: 'The tag id as the charger reads it (OCPP idTag).' })
  @PrimaryKey({ type: 'string', length: 36 })
  idTag!: string;

  @Index()
  @Property({ type: 'string', length: 200 })
  driverId!: string;

  @Field(() => Date)
  @Property({ type: 'Date', columnType: 'timestamptz' })
  linkedAt: Date = new Date();
}
