import { unsupportedByEmulator } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import { balanceObject } from './ledger.js';

function listBalanceTransactions(ctx: ApiContext): JsonObject {
  const { params } = ctx;
  if (params.has('payout')) throw unsupportedByEmulator('payout');
  const currency = params.string('currency')?.toLowerCase();
  const source = params.string('source');
  const type = params.string('type');
  const transactions = ctx.account.balanceTransactions
    .newestFirst()
    .filter(
      (txn) =>
        (currency === undefined || txn.currency === currency) &&
        (source === undefined || txn.source === source) &&
        (type === undefined || txn.type === type),
    );
  return paginate(transactions, params, '/v1/balance_transactions', (txn) => txn);
}

export const balanceRoutes: RouteDefinition[] = [
  { method: 'GET', path: '/v1/balance', handler: (ctx) => balanceObject(ctx.account) },
  { method: 'GET', path: '/v1/balance_transactions', handler: listBalanceTransactions },
];
