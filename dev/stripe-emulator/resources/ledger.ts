import { newId, nowSeconds } from '../core/ids.js';
import type { JsonObject } from '../core/json.js';
import type { BalanceTransactionObject, FeeDetail } from '../state/objects.js';
import type { AccountState } from '../state/store.js';

/**
 * Balance transactions: the ledger behind GET /v1/balance. Funds are available immediately
 * (`status: 'available'`, `available_on = created`): the emulator has no settlement delay or payouts.
 */
export interface LedgerEntry {
  amount: number;
  currency: string;
  type: string;
  reportingCategory: string;
  source: string;
  description: string | null;
  feeDetails?: FeeDetail[];
}

export function recordBalanceTransaction(account: AccountState, entry: LedgerEntry): BalanceTransactionObject {
  const feeDetails = entry.feeDetails ?? [];
  const fee = feeDetails.reduce((sum, detail) => sum + detail.amount, 0);
  const created = nowSeconds();
  return account.balanceTransactions.add({
    id: newId('txn'),
    object: 'balance_transaction',
    amount: entry.amount,
    available_on: created,
    balance_type: 'payments',
    created,
    currency: entry.currency,
    description: entry.description,
    exchange_rate: null,
    fee,
    fee_details: feeDetails,
    net: entry.amount - fee,
    reporting_category: entry.reportingCategory,
    source: entry.source,
    status: 'available',
    type: entry.type,
  });
}

export interface BalanceSums {
  available: number;
  pending: number;
}

/** Sums of `net` per status for one currency. */
export function balanceOf(account: AccountState, currency: string): BalanceSums {
  const sums: BalanceSums = { available: 0, pending: 0 };
  for (const txn of account.balanceTransactions.all()) {
    if (txn.currency === currency) sums[txn.status] += txn.net;
  }
  return sums;
}

/** The Balance object: one entry per currency seen (the default currency at least). */
export function balanceObject(account: AccountState): JsonObject {
  const currencies = new Set([account.account.default_currency]);
  for (const txn of account.balanceTransactions.all()) currencies.add(txn.currency);
  const amounts = (status: keyof BalanceSums): JsonObject[] =>
    [...currencies].map((currency) => {
      const amount = balanceOf(account, currency)[status];
      return { amount, currency, source_types: { card: amount } };
    });
  const balance: JsonObject = {
    object: 'balance',
    available: amounts('available'),
    livemode: false,
    pending: amounts('pending'),
  };
  if (account.isPlatform) balance.connect_reserved = [...currencies].map((currency) => ({ amount: 0, currency }));
  return balance;
}
