import type { EntityManager } from '@mikro-orm/postgresql';
import { nonNegativeInteger } from '../../../platform/money.js';
import { LEDGER_EFFECTS, LedgerEntry, LedgerEntryKind } from './ledger-entry.entity.js';

/** The payment an entry belongs to (a `Payment` row, or what is left of one whose row is gone). */
export interface BookedPayment {
  id: string;
  sessionId: string;
  operatorId: string;
  attempt: number;
  currency: string;
  providerAccountId?: string | null;
}

export interface EntryDetails {
  providerObjectId?: string | null;
  providerTransactionId?: string | null;
  refundId?: string | null;
  disputeId?: string | null;
  code?: string | null;
  /** The currency when it is not the payment's (never, today; kept explicit on every entry). */
  currency?: string;
}

/**
 * The books of one transaction: the transition functions append entries here, and they are inserted with the
 * transaction's flush, so an entry exists exactly when the change it records is committed. The caller holds the
 * session's lock; `open` loads the entries already booked for the payment so that a provider balance transaction
 * seen again (a replayed webhook, a retried call) is not booked twice.
 */
export class Books {
  private constructor(
    private readonly em: EntityManager | null,
    private readonly booked: LedgerEntry[],
  ) {}

  static async open(em: EntityManager, paymentId: string): Promise<Books> {
    return new Books(em, await em.find(LedgerEntry, { paymentId }, { orderBy: { occurredAt: 'asc', id: 'asc' } }));
  }

  /** Books for a payment that has no entries yet (a row created in this transaction). */
  static fresh(em: EntityManager): Books {
    return new Books(em, []);
  }

  /** Books that only collect, persisted nowhere: for the transition functions' unit tests. */
  static detached(): Books {
    return new Books(null, []);
  }

  /** Appends an entry; false (and nothing booked) when its balance transaction is already booked under this kind. */
  book(payment: BookedPayment, kind: LedgerEntryKind, amount: number, details: EntryDetails = {}): boolean {
    nonNegativeInteger(amount, `${kind} amount`);
    if (details.providerTransactionId && this.has(kind, details.providerTransactionId)) return false;
    const entry = Object.assign(new LedgerEntry(), {
      paymentId: payment.id,
      sessionId: payment.sessionId,
      operatorId: payment.operatorId,
      attempt: payment.attempt,
      kind,
      amount,
      currency: details.currency ?? payment.currency,
      providerAccountId: payment.providerAccountId ?? null,
      providerObjectId: details.providerObjectId ?? null,
      providerTransactionId: details.providerTransactionId ?? null,
      refundId: details.refundId ?? null,
      disputeId: details.disputeId ?? null,
      code: details.code?.slice(0, 100) ?? null,
      occurredAt: new Date(),
    });
    this.em?.persist(entry);
    this.booked.push(entry);
    return true;
  }

  /** Sum of the amounts booked under `kind` (optionally for one refund or dispute). */
  sum(kind: LedgerEntryKind, filter: { refundId?: string; disputeId?: string } = {}): number {
    return this.booked
      .filter(
        (e) =>
          e.kind === kind &&
          (filter.refundId === undefined || e.refundId === filter.refundId) &&
          (filter.disputeId === undefined || e.disputeId === filter.disputeId),
      )
      .reduce((total, e) => total + e.amount, 0);
  }

  has(kind: LedgerEntryKind, providerTransactionId: string): boolean {
    return this.booked.some((e) => e.kind === kind && e.providerTransactionId === providerTransactionId);
  }

  /** Entries booked for the payment so far, this transaction's included. */
  entries(): readonly LedgerEntry[] {
    return this.booked;
  }
}

/** The operator's and the platform's balance movement of a set of entries, per currency. */
export function balancesOf(
  entries: readonly Pick<LedgerEntry, 'kind' | 'amount' | 'currency'>[],
): Map<string, { operator: number; platform: number }> {
  const sums = new Map<string, { operator: number; platform: number }>();
  for (const entry of entries) {
    const sum = sums.get(entry.currency) ?? { operator: 0, platform: 0 };
    const effect = LEDGER_EFFECTS[entry.kind];
    sum.operator += effect.operator * entry.amount;
    sum.platform += effect.platform * entry.amount;
    sums.set(entry.currency, sum);
  }
  return sums;
}
