import { invalidParam, invalidRequest, resourceMissing, unsupportedByEmulator } from '../core/errors.js';
import { newId, nowSeconds } from '../core/ids.js';
import { cloneJson, previousAttributes, type JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import { formatAmount } from '../core/money.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { ChargeObject, RefundObject } from '../state/objects.js';
import { refundApplicationFee } from './application-fees.js';
import { recordBalanceTransaction } from './ledger.js';
import { findCharge, findPaymentIntent } from './lookups.js';
import { refundCardOf } from './refund-settlement.js';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

/** The charge a refund request names, through `charge`, `payment_intent` or both (which must agree). */
function chargeToRefund(ctx: ApiContext): ChargeObject {
  const { params, account } = ctx;
  const chargeId = params.string('charge');
  const intentId = params.string('payment_intent');
  if (intentId === undefined) {
    if (chargeId === undefined)
      throw invalidParam('charge', 'One of `charge` or `payment_intent` is required.', 'parameter_missing');
    return findCharge(account, chargeId, 'charge', 400);
  }
  const intent = findPaymentIntent(account, intentId, 'payment_intent', 400);
  if (intent.latest_charge === null || intent.status !== 'succeeded') {
    throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
      param: 'payment_intent',
    });
  }
  if (chargeId !== undefined && chargeId !== intent.latest_charge) {
    throw invalidRequest(`The charge ${chargeId} does not belong to the PaymentIntent ${intent.id}.`, {
      param: 'charge',
    });
  }
  return findCharge(account, intent.latest_charge, 'payment_intent', 400);
}

/** The application fee share of a refund: proportional, and the whole remainder once the charge is fully refunded. */
function applicationFeeShare(ctx: ApiContext, charge: ChargeObject, refundAmount: number): number {
  const fee =
    charge.application_fee === null ? undefined : ctx.state.platform.applicationFees.get(charge.application_fee);
  if (!fee) return 0;
  const remaining = fee.amount - fee.amount_refunded;
  if (charge.refunded) return remaining;
  return Math.min(remaining, Math.round((fee.amount * refundAmount) / charge.amount_captured));
}

function createRefund(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  for (const name of ['customer', 'currency', 'instructions_email', 'origin'] as const) {
    if (params.has(name)) throw unsupportedByEmulator(name);
  }
  if (params.boolean('reverse_transfer') === true) throw unsupportedByEmulator('reverse_transfer');
  const requested = params.integer('amount', { min: 1 });
  const reason = params.enumValue('reason', REASONS) ?? null;
  const refundFee = params.boolean('refund_application_fee') ?? false;
  const charge = chargeToRefund(ctx);
  if (charge.status !== 'succeeded' || !charge.captured) {
    throw invalidRequest(
      charge.status === 'succeeded'
        ? `Charge ${charge.id} has not been captured; cancel its PaymentIntent to release the funds.`
        : `Charge ${charge.id} did not succeed and cannot be refunded.`,
      { param: params.has('charge') ? 'charge' : 'payment_intent' },
    );
  }
  // Stripe: a disputed charge cannot be refunded (the dispute already took the money back).
  if (charge.disputed)
    throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, {
      code: 'charge_disputed',
    });
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining === 0)
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  const amount = requested ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      { code: 'amount_too_large', param: 'amount' },
    );
  }
  const id = newId('re');
  const txn = recordBalanceTransaction(account, {
    amount: -amount,
    currency: charge.currency,
    type: 'refund',
    reportingCategory: 'refund',
    source: id,
    description: `REFUND FOR CHARGE (${charge.description ?? charge.id})`,
  });
  const refund = account.refunds.add({
    id,
    object: 'refund',
    amount,
    balance_transaction: txn.id,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
    metadata: params.metadata(),
    payment_intent: charge.payment_intent,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    // Stripe's pending-refund card: the refund waits for the issuer (counted and debited already, as on Stripe).
    status: refundCardOf(account, charge) === 'refund_pending' ? 'pending' : 'succeeded',
    transfer_reversal: null,
  });
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  charge.refunds.data.unshift(refund);
  if (refundFee && charge.application_fee !== null) {
    const fee = ctx.state.platform.applicationFees.get(charge.application_fee);
    if (fee) refundApplicationFee(ctx, fee, applicationFeeShare(ctx, charge, amount));
  }
  ctx.events.emit(account, 'refund.created', refund);
  ctx.events.emit(account, 'charge.refunded', charge);
  return refund;
}

function findRefund(ctx: ApiContext): RefundObject {
  const id = ctx.pathParams.refund;
  const refund = ctx.account.refunds.get(id);
  if (!refund) throw resourceMissing('refund', id, 'refund');
  return refund;
}

function updateRefund(ctx: ApiContext): JsonObject {
  const refund = findRefund(ctx);
  const before = cloneJson(refund);
  refund.metadata = ctx.params.metadata(refund.metadata);
  const previous = previousAttributes(before, refund);
  if (previous) ctx.events.emit(ctx.account, 'refund.updated', refund, previous);
  return refund;
}

function listRefunds(ctx: ApiContext): JsonObject {
  const charge = ctx.params.string('charge');
  const intent = ctx.params.string('payment_intent');
  const refunds = ctx.account.refunds
    .newestFirst()
    .filter(
      (refund) =>
        (charge === undefined || refund.charge === charge) &&
        (intent === undefined || refund.payment_intent === intent),
    );
  return paginate(refunds, ctx.params, '/v1/refunds', (refund) => refund);
}

export const refundRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/refunds', handler: createRefund },
  { method: 'GET', path: '/v1/refunds', handler: listRefunds },
  { method: 'GET', path: '/v1/refunds/{refund}', handler: findRefund },
  { method: 'POST', path: '/v1/refunds/{refund}', handler: updateRefund },
];
