import { newId, nowSeconds } from '../core/ids.js';
import type { JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { ApplicationFeeObject, ChargeObject } from '../state/objects.js';
import { recordBalanceTransaction } from './ledger.js';

/**
 * The platform's share of a direct charge: an ApplicationFee on the platform plus a platform balance
 * transaction (type `application_fee`). The connected side is charged through the charge's fee_details.
 */
export function createApplicationFee(ctx: ApiContext, charge: ChargeObject, amount: number): ApplicationFeeObject {
  const platform = ctx.state.platform;
  const id = newId('fee');
  const txn = recordBalanceTransaction(platform, {
    amount,
    currency: charge.currency,
    type: 'application_fee',
    reportingCategory: 'platform_earning',
    source: id,
    description: `Application fee for ${charge.id} on ${ctx.account.id}`,
  });
  const fee = platform.applicationFees.add({
    id,
    object: 'application_fee',
    account: ctx.account.id,
    amount,
    amount_refunded: 0,
    application: ctx.state.applicationId,
    balance_transaction: txn.id,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    fee_source: { charge: charge.id, type: 'charge' },
    livemode: false,
    originating_transaction: null,
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/application_fees/${id}/refunds` },
  });
  ctx.events.emit(platform, 'application_fee.created', fee);
  return fee;
}

/**
 * Returns part of an application fee (`refund_application_fee=true` on a refund): the platform's
 * balance goes down, the connected account's goes up, both as `application_fee_refund` transactions.
 */
export function refundApplicationFee(ctx: ApiContext, fee: ApplicationFeeObject, amount: number): void {
  if (amount <= 0) return;
  const platform = ctx.state.platform;
  const id = newId('fr');
  const platformTxn = recordBalanceTransaction(platform, {
    amount: -amount,
    currency: fee.currency,
    type: 'application_fee_refund',
    reportingCategory: 'platform_earning_refund',
    source: id,
    description: `Application fee refund for ${fee.id}`,
  });
  recordBalanceTransaction(ctx.account, {
    amount,
    currency: fee.currency,
    type: 'application_fee_refund',
    reportingCategory: 'platform_earning_refund',
    source: id,
    description: `Application fee refund for ${fee.id}`,
  });
  fee.refunds.data.unshift({
    id,
    object: 'fee_refund',
    amount,
    balance_transaction: platformTxn.id,
    created: nowSeconds(),
    currency: fee.currency,
    fee: fee.id,
    metadata: {},
  });
  fee.amount_refunded += amount;
  fee.refunded = fee.amount_refunded === fee.amount;
  ctx.events.emit(platform, 'application_fee.refunded', fee);
}

function listApplicationFees(ctx: ApiContext): JsonObject {
  const charge = ctx.params.string('charge');
  const fees = ctx.account.applicationFees.newestFirst().filter((fee) => charge === undefined || fee.charge === charge);
  return paginate(fees, ctx.params, '/v1/application_fees', (fee) => fee);
}

export const applicationFeeRoutes: RouteDefinition[] = [
  { method: 'GET', path: '/v1/application_fees', handler: listApplicationFees },
];
