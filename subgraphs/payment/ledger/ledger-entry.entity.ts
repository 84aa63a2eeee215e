import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { newId } from '../../../platform/ids.js';
import { Money } from '../../../platform/money.js';

/** What happened; `LEDGER_EFFECTS` says whose balance it moves and which way. */
export enum LedgerEntryKind {
  /** An attempt was recorded before its provider call (amount: the hold or the charge asked for). */
  ATTEMPT_OPENED = 'ATTEMPT_OPENED',
  /** The issuer wants the driver to authenticate (3-D Secure). */
  ACTION_REQUIRED = 'ACTION_REQUIRED',
  HOLD_PLACED = 'HOLD_PLACED',
  /** Incremental authorisation: amount is the increase. */
  HOLD_INCREMENTED = 'HOLD_INCREMENTED',
  /** The part of a hold that was never captured, or the whole hold when it was canceled. */
  HOLD_RELEASED = 'HOLD_RELEASED',
  /** The final amount was fixed before the capture or charge (a retry sends the same). */
  AMOUNT_FIXED = 'AMOUNT_FIXED',
  /** What the session cost above its hold and was not collected (the capture is capped at the hold). */
  UNCOLLECTED = 'UNCOLLECTED',
  CAPTURED = 'CAPTURED',
  CHARGED = 'CHARGED',
  /** The attempt failed (declined, authentication failed, or could not be tried); code: the reason. */
  FAILED = 'FAILED',
  /** The platform's application fee, taken from the operator's charge. */
  APPLICATION_FEE_TAKEN = 'APPLICATION_FEE_TAKEN',
  APPLICATION_FEE_REFUNDED = 'APPLICATION_FEE_REFUNDED',
  /** The provider's own fee (processing; code `dispute` for a dispute fee). */
  PROVIDER_FEE = 'PROVIDER_FEE',
  REFUND_REQUESTED = 'REFUND_REQUESTED',
  /** The provider took the refund from the operator's balance (it may still be pending with the issuer). */
  REFUND_DEBITED = 'REFUND_DEBITED',
  REFUND_SUCCEEDED = 'REFUND_SUCCEEDED',
  /** The refund failed after it was debited: its amount came back to the operator. */
  REFUND_FAILED = 'REFUND_FAILED',
  /** Canceled or failed before any money moved. */
  REFUND_CANCELED = 'REFUND_CANCELED',
  DISPUTE_OPENED = 'DISPUTE_OPENED',
  DISPUTE_FUNDS_WITHDRAWN = 'DISPUTE_FUNDS_WITHDRAWN',
  DISPUTE_FUNDS_REINSTATED = 'DISPUTE_FUNDS_REINSTATED',
  DISPUTE_WON = 'DISPUTE_WON',
  DISPUTE_LOST = 'DISPUTE_LOST',
}
registerEnumType(LedgerEntryKind, { name: 'LedgerEntryKind' });

/** How an entry moves the operator's and the platform's provider balances: +1 in, −1 out, 0 a fact only. */
export const LEDGER_EFFECTS: Record<LedgerEntryKind, { operator: -1 | 0 | 1; platform: -1 | 0 | 1 }> = {
  [LedgerEntryKind.ATTEMPT_OPENED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.ACTION_REQUIRED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.HOLD_PLACED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.HOLD_INCREMENTED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.HOLD_RELEASED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.AMOUNT_FIXED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.UNCOLLECTED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.CAPTURED]: { operator: 1, platform: 0 },
  [LedgerEntryKind.CHARGED]: { operator: 1, platform: 0 },
  [LedgerEntryKind.FAILED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.APPLICATION_FEE_TAKEN]: { operator: -1, platform: 1 },
  [LedgerEntryKind.APPLICATION_FEE_REFUNDED]: { operator: 1, platform: -1 },
  [LedgerEntryKind.PROVIDER_FEE]: { operator: -1, platform: 0 },
  [LedgerEntryKind.REFUND_REQUESTED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.REFUND_DEBITED]: { operator: -1, platform: 0 },
  [LedgerEntryKind.REFUND_SUCCEEDED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.REFUND_FAILED]: { operator: 1, platform: 0 },
  [LedgerEntryKind.REFUND_CANCELED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.DISPUTE_OPENED]: { operator: 0, platform: 0 },
  [LedgerEntryKind.DISPUTE_FUNDS_WITHDRAWN]: { operator: -1, platform: 0 },
  [LedgerEntryKind.DISPUTE_FUNDS_REINSTATED]: { operator: 1, platform: 0 },
  [LedgerEntryKind.DISPUTE_WON]: { operator: 0, platform: 0 },
  [LedgerEntryKind.DISPUTE_LOST]: { operator: 0, platform: 0 },
};

/**
 * One line of the payment books: appended in the transaction of the change it records, never updated or deleted
 * (a database trigger refuses both). `Payment`, `Refund` and `Dispute` rows are the read models of these entries.
 * No foreign key to `payment`: a declined first hold deletes its payment row, its entries stay.
 */
@ObjectType({ description: "One entry of a payment's append-only books (operator admins and the platform only)." })
@Entity({ tableName: 'ledger_entry' })
@Index({ properties: ['operatorId', 'occurredAt'] })
// A provider balance transaction is booked once per kind, whatever replays or late events bring it again.
@Unique({ properties: ['kind', 'providerTransactionId'] })
export class LedgerEntry {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Index()
  @Property({ type: 'uuid' })
  paymentId!: string;

  @Property({ type: 'uuid' })
  sessionId!: string;

  @Property({ type: 'uuid' })
  operatorId!: string;

  @Field(() => Int, { description: 'The payment attempt the entry belongs to (0: recorded without any attempt).' })
  @Property({ type: 'integer' })
  attempt!: number;

  @Field(() => LedgerEntryKind)
  @Enum({ items: () => LedgerEntryKind, type: 'string', nativeEnumName: undefined })
  kind!: LedgerEntryKind;

  /** Never negative: the kind gives the direction (LEDGER_EFFECTS). */
  @Property({ type: 'integer', check: 'amount >= 0' })
  amount!: number;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  /** The operator's connected account at the provider, when the entry concerns money there. Private. */
  @Property({ type: 'string', length: 255, nullable: true })
  providerAccountId?: string | null;

  /** The provider object the entry is about (pi_…, re_…, dp_…). Private. */
  @Property({ type: 'string', length: 255, nullable: true })
  providerObjectId?: string | null;

  /** The provider's balance transaction that moved this money (txn_…), matched one by one by reconciliation. */
  @Property({ type: 'string', length: 255, nullable: true })
  providerTransactionId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  refundId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  disputeId?: string | null;

  @Field(() => String, { nullable: true, description: 'A failure code, a dispute reason or a fee type.' })
  @Property({ type: 'string', length: 100, nullable: true })
  code?: string | null;

  @Field(() => Date)
  @Property({ type: 'Date', columnType: 'timestamptz' })
  occurredAt: Date = new Date();

  @Field(() => Money, { name: 'amount' })
  get amountMoney(): Money {
    return Money.of(this.amount, this.currency);
  }
}
