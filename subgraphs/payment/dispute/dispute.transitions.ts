import type { Books } from '../ledger/books.js';
import { LedgerEntryKind as K } from '../ledger/ledger-entry.entity.js';
import type { Payment } from '../payment/payment.entity.js';
import { DisputeStatus, nextDisputeStatus } from '../payment/payment.status.js';
import { setDisputeStatus } from '../payment/payment.transitions.js';
import type { ProviderDispute } from '../provider/payment-provider.js';
import { Dispute } from './dispute.entity.js';

/*
 * The only code that writes a dispute. Each provider read (events arrive late, twice, out of order) is merged
 * monotonically: the status only moves forward, and each provider balance transaction of the dispute is booked once
 * (funds withdrawn with the dispute fee, funds reinstated), so replays converge on the provider's state.
 */

export function applyProviderDispute(
  payment: Payment,
  existing: Dispute | null,
  current: ProviderDispute,
  books: Books,
): { dispute: Dispute; changed: boolean } {
  const dispute =
    existing ??
    Object.assign(new Dispute(), {
      payment,
      providerDisputeId: current.id,
      amount: current.amount,
      currency: current.currency,
      reason: current.reason.slice(0, 100),
    });
  const ref = { disputeId: dispute.id, providerObjectId: current.id };
  let changed = existing === null;
  if (changed) books.book(payment, K.DISPUTE_OPENED, current.amount, { ...ref, code: dispute.reason });
  if (current.evidenceDueBy?.getTime() !== dispute.evidenceDueBy?.getTime()) {
    dispute.evidenceDueBy = current.evidenceDueBy;
    changed = true;
  }
  for (const txn of current.transactions) {
    const booked = { ...ref, providerTransactionId: txn.id };
    if (txn.amount < 0) {
      changed = books.book(payment, K.DISPUTE_FUNDS_WITHDRAWN, -txn.amount, booked) || changed;
      if (txn.fee > 0) books.book(payment, K.PROVIDER_FEE, txn.fee, { ...booked, code: 'dispute' });
    } else if (txn.amount > 0) {
      changed = books.book(payment, K.DISPUTE_FUNDS_REINSTATED, txn.amount, booked) || changed;
    }
  }
  dispute.fundsWithdrawn = books.sum(K.DISPUTE_FUNDS_WITHDRAWN, { disputeId: dispute.id });
  dispute.fundsReinstated = books.sum(K.DISPUTE_FUNDS_REINSTATED, { disputeId: dispute.id });
  dispute.fee = books.sum(K.PROVIDER_FEE, { disputeId: dispute.id });

  const next = nextDisputeStatus(dispute.status, DisputeStatus[current.status]);
  if (next !== dispute.status) {
    dispute.status = next;
    books.book(payment, next === DisputeStatus.WON ? K.DISPUTE_WON : K.DISPUTE_LOST, dispute.amount, ref);
    changed = true;
  }
  // The payment shows its latest dispute's state (a payment is disputed once in practice).
  changed = setDisputeStatus(payment, nextDisputeStatus(payment.disputeStatus, dispute.status)) || changed;
  return { dispute, changed };
}
