import { invalidRequest, resourceMissing } from '../core/errors.js';
import { newId, nowSeconds } from '../core/ids.js';
import { cloneJson, type JsonObject } from '../core/json.js';
import { disputeFee } from '../core/money.js';
import type { EventSink } from '../events/events.js';
import type { RouteDefinition } from '../http/router.js';
import type { ChargeObject, DisputeEvidence, DisputeObject, DisputeStatus } from '../state/objects.js';
import type { AccountState } from '../state/store.js';
import { recordBalanceTransaction } from './ledger.js';

/*
 * Disputes of charges paid with Stripe's dispute test card `pm_card_createDispute` (4000000000000259, docs "Testing",
 * Disputes: "Fraudulent"). As on Stripe, on the account that owns the charge (the connected account for direct charges):
 * - once the charge is captured, a Dispute opens: `status: needs_response`, `reason: fraudulent`, `amount` = the
 *   captured amount, `evidence_details.due_by` 7 days out; the charge becomes `disputed: true`;
 * - the disputed amount and the dispute fee (core/money.ts) leave the balance in one balance transaction: `type:
 *   adjustment`, `reporting_category: dispute`, `amount` −disputed, `fee` = dispute fee (`fee_details` `stripe_fee`),
 *   `net` −(amount + fee), `source` = the dispute;
 * - events `charge.dispute.created`, then `charge.dispute.funds_withdrawn`.
 * Closing (Stripe decides on the evidence, in test mode by `winning_evidence` / `losing_evidence`; here a test calls
 * `closeDispute`): won → the amount comes back (`adjustment`, `reporting_category: dispute_reversal`, the fee is not
 * returned), `charge.dispute.funds_reinstated`, `charge.dispute.closed` with `status: won`; lost → nothing comes back,
 * `charge.dispute.closed` with `status: lost`.
 */

/** Evidence is due 7 days after the dispute opens (Stripe's due dates depend on the card network). */
const EVIDENCE_WINDOW_SECONDS = 7 * 24 * 60 * 60;
/** Visa 10.4, "Other Fraud – Card-Absent Environment": what a fraudulent card-not-present dispute carries. */
const FRAUD_REASON_CODE = '10.4';

/** Every field of `dispute_evidence` (API 2023-08-16), none given yet. */
const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
] as const;

const CLOSED: readonly DisputeStatus[] = ['won', 'lost', 'warning_closed'];

export type DisputeOutcome = 'won' | 'lost';

/** Opens the dispute of a just-captured charge paid with the dispute test card; a no-op for any other card. */
export function disputeIfTestCard(account: AccountState, charge: ChargeObject, events: EventSink): void {
  const card = charge.payment_method ? account.cardOutcomes.get(charge.payment_method) : undefined;
  if (card !== 'dispute_fraudulent' || charge.disputed || !charge.captured) return;
  const created = nowSeconds();
  const amount = charge.amount_captured;
  const evidence: DisputeEvidence = Object.fromEntries(EVIDENCE_FIELDS.map((name) => [name, null]));
  const dispute = account.disputes.add({
    id: newId('dp'),
    object: 'dispute',
    amount,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence,
    evidence_details: {
      due_by: created + EVIDENCE_WINDOW_SECONDS,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    payment_method_details: {
      card: {
        brand: String(charge.payment_method_details.card.brand ?? 'visa'),
        network_reason_code: FRAUD_REASON_CODE,
      },
      type: 'card',
    },
    reason: 'fraudulent',
    status: 'needs_response',
  });
  charge.disputed = true;
  const fee = disputeFee(charge.currency);
  const withdrawal = recordBalanceTransaction(account, {
    amount: -amount,
    currency: charge.currency,
    type: 'adjustment',
    reportingCategory: 'dispute',
    source: dispute.id,
    description: `Chargeback withdrawal for ${charge.id}`,
    feeDetails: [
      { amount: fee, application: null, currency: charge.currency, description: 'Dispute fee', type: 'stripe_fee' },
    ],
  });
  dispute.balance_transactions.push(cloneJson(withdrawal));
  events.emit(account, 'charge.dispute.created', dispute);
  events.emit(account, 'charge.dispute.funds_withdrawn', dispute);
}

/** Closes an open dispute won (the amount comes back, the fee does not) or lost (nothing comes back). */
export function closeDispute(
  account: AccountState,
  dispute: DisputeObject,
  outcome: DisputeOutcome,
  events: EventSink,
): DisputeObject {
  if (CLOSED.includes(dispute.status))
    throw invalidRequest(`Dispute ${dispute.id} is already closed (${dispute.status}).`);
  const previous = { status: dispute.status };
  dispute.status = outcome;
  if (outcome === 'won') {
    const reinstatement = recordBalanceTransaction(account, {
      amount: dispute.amount,
      currency: dispute.currency,
      type: 'adjustment',
      reportingCategory: 'dispute_reversal',
      source: dispute.id,
      description: `Chargeback reversal for ${dispute.charge}`,
    });
    dispute.balance_transactions.push(cloneJson(reinstatement));
    events.emit(account, 'charge.dispute.funds_reinstated', dispute);
  }
  events.emit(account, 'charge.dispute.closed', dispute, previous);
  return dispute;
}

export function findDispute(account: AccountState, id: string, param: string): DisputeObject {
  const dispute = account.disputes.get(id);
  if (!dispute) throw resourceMissing('dispute', id, param);
  return dispute;
}

export const disputeRoutes: RouteDefinition[] = [
  {
    // Beyond the spec subset (Stripe has it: "Retrieve a dispute"); the payment subgraph re-reads disputes with it.
    method: 'GET',
    path: '/v1/disputes/{dispute}',
    handler: (ctx): JsonObject => findDispute(ctx.account, ctx.pathParams.dispute, 'dispute'),
    extraContract: { params: ['expand'], required: [] },
  },
];
