import { Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { newId } from '../../../platform/ids.js';
import type { ReceiptLineKind } from './receipt.lines.js';

/** One priced line as issued (net and tax in minor units of the receipt's currency). */
export interface ReceiptLineSnapshot {
  kind: ReceiptLineKind;
  description: string;
  net: number;
  taxRateBasisPoints: number;
  tax: number;
}

/**
 * A receipt as issued, once per succeeded payment, on its first read. Everything on it is a copy taken then (the
 * merchant, the station, the session's times and energy, the priced lines, the card), so later edits of the operator
 * or a removed card never change an issued receipt. Refunds are not stored: they are read from the payment's
 * succeeded refunds when the receipt is shown, and never change its number.
 */
@Entity({ tableName: 'receipt' })
@Unique({ properties: ['operatorId', 'number'] })
export class IssuedReceipt {
  [OptionalProps]?: 'id';

  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  /** One receipt per payment, whatever the concurrent first reads: the database says so. */
  @Unique()
  @Property({ type: 'uuid' })
  paymentId!: string;

  @Property({ type: 'uuid' })
  operatorId!: string;

  /** Gapless and sequential per operator (receipt_counter, advanced in the transaction that stores this row). */
  @Property({ type: 'integer', check: 'number > 0' })
  number!: number;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  issuedAt!: Date;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /** What the provider captured (the payment's amount); the issued lines add up to it exactly. */
  @Property({ type: 'integer', check: 'charged_amount > 0' })
  chargedAmount!: number;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  paidAt?: Date | null;

  @Property({ type: 'string', length: 200 })
  merchantLegalName!: string;

  @Property({ type: 'string', length: 500, nullable: true })
  merchantAddress?: string | null;

  @Property({ type: 'string', length: 32, nullable: true })
  merchantVatId?: string | null;

  @Property({ type: 'uuid' })
  sessionId!: string;

  @Property({ type: 'uuid' })
  stationId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  stationName?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  stationAddress?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  sessionStartedAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  sessionEndedAt?: Date | null;

  @Property({ type: 'integer' })
  energyWh!: number;

  @Property({ type: 'string', length: 32, nullable: true })
  cardBrand?: string | null;

  @Property({ type: 'string', length: 4, nullable: true })
  cardLast4?: string | null;

  @Property({ type: 'json' })
  lines!: ReceiptLineSnapshot[];
}

/** The last receipt number an operator issued; the row is locked by the upsert until that receipt commits. */
@Entity({ tableName: 'receipt_counter' })
export class ReceiptCounter {
  @PrimaryKey({ type: 'uuid' })
  operatorId!: string;

  @Property({ type: 'integer', check: 'last_number > 0' })
  lastNumber!: number;
}
