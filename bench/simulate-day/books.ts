import type pg from 'pg';
import type Stripe from 'stripe';
import { LEDGER_EFFECTS, LedgerEntryKind } from '../../subgraphs/payment/ledger/ledger-entry.entity.js';
import type { PublicApi } from './client.js';
import { platformAdmin, type SimOperator } from './world.js';

/** One operator's books against its connected account at the provider, all in minor units of its currency. */
export interface OperatorBooks {
  operatorId: string;
  name: string;
  currency: string;
  captured: number;
  refunds: number;
  disputesLost: number;
  providerFees: number;
  applicationFees: number;
  /** captured − refunds − disputes lost − provider fees − application fees, from the ledger. */
  ledger: number;
  /** The connected account's balance at the provider (available + pending, its currency). */
  provider: number;
  difference: number;
  /** Balances the provider shows in other currencies (must be none). */
  otherCurrencies: string[];
}

export interface PlatformBooks {
  currency: string;
  /** Σ application fees taken − given back, from the ledger. */
  ledger: number;
  provider: number;
  difference: number;
}

export interface ReconciliationResult {
  operatorId: string;
  status: string;
  matched: number;
  differences: number;
  /** The run's status as the operator's admin reads it (`Operator.reconciliation`). */
  seenByAdmin: string;
}

export interface Books {
  operators: OperatorBooks[];
  platform: PlatformBooks[];
  reconciliation: ReconciliationResult[];
  unbilledSessions: string[];
  counts: {
    sessions: Record<string, number>;
    payments: Record<string, number>;
    refunds: Record<string, number>;
    disputes: Record<string, number>;
  };
}

type Sums = Map<string, number>; // `${operatorId}|${kind}` → Σ amount

async function ledgerSums(paymentDb: pg.Pool): Promise<{ sums: Sums; platform: Map<string, number> }> {
  const { rows } = await paymentDb.query<{ operator_id: string; kind: LedgerEntryKind; currency: string; sum: string }>(
    `select operator_id, kind, currency, sum(amount)::text as sum from ledger_entry group by operator_id, kind, currency`,
  );
  const sums: Sums = new Map();
  const platform = new Map<string, number>();
  for (const row of rows) {
    const amount = Number(row.sum);
    sums.set(`${row.operator_id}|${row.kind}`, (sums.get(`${row.operator_id}|${row.kind}`) ?? 0) + amount);
    const effect = LEDGER_EFFECTS[row.kind].platform;
    if (effect !== 0) platform.set(row.currency, (platform.get(row.currency) ?? 0) + effect * amount);
  }
  return { sums, platform };
}

async function countBy(db: pg.Pool, table: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; count: string }>(
    `select status, count(*)::text as count from ${table} group by status order by status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

/** The provider's balance of an account (or the platform's) per currency, lower case → minor units. */
async function providerBalance(stripe: Stripe, account?: string): Promise<Map<string, number>> {
  const balance = await stripe.balance.retrieve({}, account ? { stripeAccount: account } : undefined);
  const total = new Map<string, number>();
  for (const part of [...balance.available, ...balance.pending])
    total.set(part.currency.toUpperCase(), (total.get(part.currency.toUpperCase()) ?? 0) + part.amount);
  return total;
}

/**
 * Reconciles every operator for the day (and the next, for sessions that crossed midnight) now, as a platform admin
 * (`reconcileOperator`); then its admin reads the same run as `Operator.reconciliation`.
 */
async function reconcile(api: PublicApi, operators: SimOperator[], day: Date): Promise<ReconciliationResult[]> {
  const period = {
    from: day.toISOString().slice(0, 10),
    to: new Date(day.getTime() + 86_400_000).toISOString().slice(0, 10),
  };
  const fields = 'status matched differences { kind amount { amount currency } providerId paymentId }';
  const results: ReconciliationResult[] = [];
  for (const operator of operators) {
    const run = await api.must<{ reconcileOperator: { status: string; matched: number; differences: unknown[] } }>(
      platformAdmin,
      `mutation ($id: ID!, $period: AnalyticsPeriod!) { reconcileOperator(operatorId: $id, period: $period) { ${fields} } }`,
      { id: operator.id, period },
    );
    const seen = await api.must<{ operator: { reconciliation: { status: string; matched: number } } }>(
      operator.admin,
      `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { reconciliation(period: $period) { ${fields} } } }`,
      { id: operator.id, period },
    );
    const r = run.reconcileOperator;
    results.push({
      operatorId: operator.id,
      status: r.status,
      matched: r.matched,
      differences: r.differences.length,
      seenByAdmin: seen.operator.reconciliation.status,
    });
  }
  return results;
}

/**
 * The day's books: per operator, the ledger's Σ captured − refunds − disputes lost − provider fees − application
 * fees against the connected account's balance at the provider; the platform's fees against its balance; the
 * completed sessions without a succeeded payment; what each table holds by status.
 */
export async function closeBooks(deps: {
  api: PublicApi;
  stripe: Stripe;
  operators: SimOperator[];
  paymentDb: pg.Pool;
  sessionDb: pg.Pool;
  day: Date;
}): Promise<Books> {
  const { sums, platform } = await ledgerSums(deps.paymentDb);
  const sum = (operatorId: string, ...kinds: LedgerEntryKind[]) =>
    kinds.reduce((total, kind) => total + (sums.get(`${operatorId}|${kind}`) ?? 0), 0);
  const operators: OperatorBooks[] = [];
  for (const operator of deps.operators) {
    const id = operator.id;
    const captured = sum(id, LedgerEntryKind.CAPTURED, LedgerEntryKind.CHARGED);
    const refunds = sum(id, LedgerEntryKind.REFUND_DEBITED) - sum(id, LedgerEntryKind.REFUND_FAILED);
    const disputesLost =
      sum(id, LedgerEntryKind.DISPUTE_FUNDS_WITHDRAWN) - sum(id, LedgerEntryKind.DISPUTE_FUNDS_REINSTATED);
    const providerFees = sum(id, LedgerEntryKind.PROVIDER_FEE);
    const applicationFees =
      sum(id, LedgerEntryKind.APPLICATION_FEE_TAKEN) - sum(id, LedgerEntryKind.APPLICATION_FEE_REFUNDED);
    const ledger = captured - refunds - disputesLost - providerFees - applicationFees;
    // Every kind that moves the operator's balance is in the formula above; a new one would show here as a difference.
    const byEffects = Object.values(LedgerEntryKind).reduce(
      (total, kind) => total + LEDGER_EFFECTS[kind].operator * sum(id, kind),
      0,
    );
    if (byEffects !== ledger) throw new Error(`ledger formula misses a kind: ${byEffects} ≠ ${ledger} for ${id}`);
    const balances = await providerBalance(deps.stripe, operator.account);
    const provider = balances.get(operator.currency) ?? 0;
    operators.push({
      operatorId: id,
      name: `#${operator.index + 1} ${operator.currency}`,
      currency: operator.currency,
      captured,
      refunds,
      disputesLost,
      providerFees,
      applicationFees,
      ledger,
      provider,
      difference: ledger - provider,
      otherCurrencies: [...balances.entries()]
        .filter(([currency, amount]) => currency !== operator.currency && amount !== 0)
        .map(([currency, amount]) => `${amount} ${currency}`),
    });
  }
  const platformBalance = await providerBalance(deps.stripe);
  const currencies = [...new Set([...platform.keys(), ...platformBalance.keys()])].sort();
  const platformBooks = currencies.map((currency) => {
    const ledger = platform.get(currency) ?? 0;
    const provider = platformBalance.get(currency) ?? 0;
    return { currency, ledger, provider, difference: ledger - provider };
  });

  const completed = await deps.sessionDb.query<{ id: string }>(
    `select id from charging_session where status = 'COMPLETED'`,
  );
  const paid = await deps.paymentDb.query<{ session_id: string }>(
    `select session_id from payment where status = 'SUCCEEDED'`,
  );
  const paidSessions = new Set(paid.rows.map((r) => r.session_id));
  return {
    operators,
    platform: platformBooks,
    reconciliation: await reconcile(deps.api, deps.operators, deps.day),
    unbilledSessions: completed.rows.map((r) => r.id).filter((id) => !paidSessions.has(id)),
    counts: {
      sessions: await countBy(deps.sessionDb, 'charging_session'),
      payments: await countBy(deps.paymentDb, 'payment'),
      refunds: await countBy(deps.paymentDb, 'refund'),
      disputes: await countBy(deps.paymentDb, 'dispute'),
    },
  };
}
