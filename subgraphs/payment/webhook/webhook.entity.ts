import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Provider events already applied: inserted in the same transaction as their effect, so each applies once. */
@Entity({ tableName: 'processed_webhook_event' })
export class ProcessedWebhookEvent {
  /** evt_… */
  @PrimaryKey({ type: 'string', length: 255 })
  eventId!: string;

  @Property({ type: 'string', length: 100 })
  type!: string;

  /** The connected account the event came from (Connect events). */
  @Property({ type: 'string', length: 255, nullable: true })
  account?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  processedAt: Date = new Date();
}
