import { invalidRequest } from '../core/errors.js';
import { cloneJson } from '../core/json.js';
import type { EventSink } from '../events/events.js';
import type { ChargeObject, RefundObject } from '../state/objects.js';
import type { AccountState } from '../state/store.js';
import type { CardOutcome } from './test-cards.js';
import { recordBalanceTransaction } from './ledger.js';

/**
 * The later half of Stripe's refund test cards (docs "Testing", Refunds), which Stripe runs on its own clock and the
 * emulator runs when a test asks (`settleRefund`):
 * - `pm_card_pendingRefund`: the refund began `pending` and now `succeeded`;
 * - `pm_card_refundFail`: the refund began `succeeded` and now `failed` with `expired_or_canceled_card`; the amount
 *   comes back to the account (a `refund_failure` balance transaction, the refund's `failure_balance_transaction`)
 *   and the charge's `amount_refunded` goes down by it.
 * Events, on the refund's account: `charge.refund.updated` and `refund.updated` (with the previous status), and
 * `refund.failed` on failure. A refund with nothing left to settle is an error (400 on the emulator page) and changes nothing.
 */

const FAILURE_REASON = 'expired_or_canceled_card';

/** How refunds of this charge settle: by the test card it was paid with. */
export function refundCardOf(account: AccountState, charge: ChargeObject): CardOutcome {
  return (charge.payment_method && account.cardOutcomes.get(charge.payment_method)) || 'approve';
}

export function settleRefund(account: AccountState, refund: RefundObject, events: EventSink): RefundObject {
  const charge = account.charges.get(refund.charge);
  const card = charge ? refundCardOf(account, charge) : 'approve';
  const before = cloneJson(refund);
  if (charge && card === 'refund_pending' && refund.status === 'pending') {
    refund.status = 'succeeded';
  } else if (charge && card === 'refund_fails' && refund.status === 'succeeded') {
    const txn = recordBalanceTransaction(account, {
      amount: refund.amount,
      currency: refund.currency,
      type: 'refund_failure',
      reportingCategory: 'refund_failure',
      source: refund.id,
      description: `REFUND FAILURE FOR CHARGE (${charge.description ?? charge.id})`,
    });
    refund.status = 'failed';
    refund.failure_reason = FAILURE_REASON;
    refund.failure_balance_transaction = txn.id;
    charge.amount_refunded -= refund.amount;
    charge.refunded = false;
  } else {
    throw invalidRequest(`Refund ${refund.id} (${refund.status}) has no later outcome to settle.`);
  }
  const previous = { status: before.status };
  events.emit(account, 'charge.refund.updated', refund, previous);
  events.emit(account, 'refund.updated', refund, previous);
  if (refund.status === 'failed') events.emit(account, 'refund.failed', refund, previous);
  return refund;
}
