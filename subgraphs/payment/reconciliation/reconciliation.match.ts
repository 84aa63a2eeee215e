import { LEDGER_EFFECTS, LedgerEntryKind as K, type LedgerEntry } from '../ledger/ledger-entry.entity.js';
import type { ProviderBalanceTransaction } from '../provider/payment-provider.js';
import { ReconciliationDifferenceKind as D } from './reconciliation.types.js';

/*
 * The matching rules, pure: provider balance transactions on one side, ledger entries on the other.
 * - A connected-account transaction (charge, refund, refund failure, dispute withdrawal or reinstatement) matches
 *   the entries booked under its id (`providerTransactionId`): its amount is the signed sum of their principal
 *   entries (LEDGER_EFFECTS), its fee the sum of their fee entries (provider fee + application fee).
 * - The platform's `application_fee` transaction of a charge matches the charge's APPLICATION_FEE_TAKEN.
 * - Fee refunds carry no transaction id in the ledger (one APPLICATION_FEE_REFUNDED per recount of the charge):
 *   per charge, the fee the provider says it gave back so far must equal what we booked; each connected-account
 *   `application_fee_refund` must have its platform counterpart (same fee refund, opposite amount).
 * Transactions of the neighbouring days are read too, so money booked on one side of midnight and moved on the
 * other is not reported twice: only what happened inside the period is reported.
 */

export type BookedEntry = Pick<
  LedgerEntry,
  'id' | 'paymentId' | 'kind' | 'amount' | 'currency' | 'providerTransactionId' | 'providerObjectId' | 'occurredAt'
>;

export interface FoundDifference {
  kind: D;
  amount: number;
  currency: string;
  providerId: string | null;
  paymentId: string | null;
  detail: string;
}

export interface MatchInput {
  period: { from: Date; to: Date };
  /** The connected account's transactions of the period and its neighbouring days. */
  connected: readonly ProviderBalanceTransaction[];
  /** The platform's application fee transactions (and refunds) taken from this account, same window. */
  platform: readonly ProviderBalanceTransaction[];
  /** The operator's entries: those of the period, those under the connected transactions' ids, those of their charges. */
  entries: readonly BookedEntry[];
}

export interface MatchResult {
  matched: number;
  differences: FoundDifference[];
}

const FEE_KINDS = new Set<K>([K.PROVIDER_FEE, K.APPLICATION_FEE_TAKEN]);
/** Money the provider moves with a balance transaction of the connected account, booked under its id. */
const TXN_KINDS = new Set(['CHARGE', 'REFUND', 'REFUND_FAILURE', 'DISPUTE', 'DISPUTE_REVERSAL']);

export function matchBooks(input: MatchInput): MatchResult {
  const { from, to } = input.period;
  const inPeriod = (at: Date) => at >= from && at < to;
  const differences: FoundDifference[] = [];
  let matched = 0;

  const paymentOfCharge = new Map<string, string>();
  for (const e of input.entries)
    if ((e.kind === K.CAPTURED || e.kind === K.CHARGED) && e.providerObjectId)
      paymentOfCharge.set(e.providerObjectId, e.paymentId);
  const paymentOf = (chargeId: string | null) => (chargeId ? (paymentOfCharge.get(chargeId) ?? null) : null);

  // 1. Connected-account transactions against the entries booked under their ids.
  const byTxn = new Map<string, BookedEntry[]>();
  for (const e of input.entries) {
    if (!e.providerTransactionId || LEDGER_EFFECTS[e.kind].operator === 0) continue;
    const group = byTxn.get(e.providerTransactionId) ?? [];
    group.push(e);
    byTxn.set(e.providerTransactionId, group);
  }
  const windowIds = new Set(input.connected.map((t) => t.id));
  for (const txn of input.connected) {
    if (!TXN_KINDS.has(txn.kind) || !inPeriod(txn.created)) continue;
    const group = byTxn.get(txn.id);
    const base = { currency: txn.currency, providerId: txn.id };
    if (!group) {
      differences.push({
        ...base,
        kind: D.MISSING_HERE,
        amount: txn.amount,
        paymentId: paymentOf(txn.chargeId),
        detail: `${txn.providerType} of ${txn.amount} (fee ${txn.fee}) on ${txn.sourceId ?? '?'}, not in our ledger`,
      });
      continue;
    }
    const paymentId = group[0].paymentId;
    const amount = group
      .filter((e) => !FEE_KINDS.has(e.kind))
      .reduce((sum, e) => sum + LEDGER_EFFECTS[e.kind].operator * e.amount, 0);
    const fee = group.filter((e) => FEE_KINDS.has(e.kind)).reduce((sum, e) => sum + e.amount, 0);
    let same = true;
    if (txn.amount !== amount || group.some((e) => e.currency !== txn.currency)) {
      same = false;
      differences.push({
        ...base,
        kind: D.AMOUNT_DIFFERS,
        amount: txn.amount - amount,
        paymentId,
        detail: `provider ${txn.amount} ${txn.currency}, ledger ${amount} ${group[0].currency}`,
      });
    }
    if (txn.fee !== fee) {
      same = false;
      differences.push({
        ...base,
        kind: D.FEE_DIFFERS,
        amount: txn.fee - fee,
        paymentId,
        detail: `provider fee ${txn.fee} (provider ${txn.providerFee} + application ${txn.applicationFee}), ledger ${fee}`,
      });
    }
    if (same) matched += 1;
  }
  // Booked in the period under an id the provider does not have (in the period or its neighbouring days).
  for (const [txnId, group] of byTxn) {
    if (windowIds.has(txnId) || !group.some((e) => inPeriod(e.occurredAt))) continue;
    const amount = group.reduce((sum, e) => sum + LEDGER_EFFECTS[e.kind].operator * e.amount, 0);
    differences.push({
      kind: D.MISSING_AT_PROVIDER,
      amount,
      currency: group[0].currency,
      providerId: txnId,
      paymentId: group[0].paymentId,
      detail: `ledger ${group.map((e) => `${e.kind} ${e.amount}`).join(', ')}; no such balance transaction`,
    });
  }

  // 2. The platform's application fees, per charge.
  const feesTaken = new Map<string, BookedEntry[]>();
  const feesBack = new Map<string, BookedEntry[]>();
  for (const e of input.entries) {
    if (!e.providerObjectId) continue;
    const into =
      e.kind === K.APPLICATION_FEE_TAKEN ? feesTaken : e.kind === K.APPLICATION_FEE_REFUNDED ? feesBack : null;
    if (!into) continue;
    const list = into.get(e.providerObjectId) ?? [];
    list.push(e);
    into.set(e.providerObjectId, list);
  }
  const platformFeeCharges = new Set<string>();
  for (const txn of input.platform) {
    if (txn.kind !== 'APPLICATION_FEE' || !txn.chargeId) continue;
    platformFeeCharges.add(txn.chargeId);
    if (!inPeriod(txn.created)) continue;
    const ours = (feesTaken.get(txn.chargeId) ?? []).reduce((sum, e) => sum + e.amount, 0);
    const base = { currency: txn.currency, providerId: txn.id, paymentId: paymentOf(txn.chargeId) };
    if (!feesTaken.has(txn.chargeId))
      differences.push({
        ...base,
        kind: D.MISSING_HERE,
        amount: txn.amount,
        detail: `platform application fee ${txn.amount} on ${txn.chargeId}, not in our ledger`,
      });
    else if (ours !== txn.amount)
      differences.push({
        ...base,
        kind: D.AMOUNT_DIFFERS,
        amount: txn.amount - ours,
        detail: `platform application fee ${txn.amount}, ledger ${ours}`,
      });
    else matched += 1;
  }
  for (const [chargeId, taken] of feesTaken) {
    if (platformFeeCharges.has(chargeId) || !taken.some((e) => inPeriod(e.occurredAt))) continue;
    differences.push({
      kind: D.MISSING_AT_PROVIDER,
      amount: taken.reduce((sum, e) => sum + e.amount, 0),
      currency: taken[0].currency,
      providerId: chargeId,
      paymentId: taken[0].paymentId,
      detail: `ledger APPLICATION_FEE_TAKEN on ${chargeId}; no platform application fee`,
    });
  }

  // 3. Fee refunds: per charge, the total given back; each connected-side refund paired with the platform's.
  const platformRefunds = input.platform.filter((t) => t.kind === 'APPLICATION_FEE_REFUND');
  const platformBySource = new Map(platformRefunds.map((t) => [t.sourceId, t]));
  const refundCharges = new Map<string, { total: number; txns: ProviderBalanceTransaction[] }>();
  for (const txn of platformRefunds) {
    if (!txn.chargeId) continue;
    const seen = refundCharges.get(txn.chargeId) ?? { total: 0, txns: [] };
    seen.total = Math.max(seen.total, txn.feeRefundedTotal ?? 0);
    seen.txns.push(txn);
    refundCharges.set(txn.chargeId, seen);
  }
  const chargesToCheck = new Set<string>();
  for (const [chargeId, seen] of refundCharges)
    if (seen.txns.some((t) => inPeriod(t.created))) chargesToCheck.add(chargeId);
  for (const [chargeId, back] of feesBack) if (back.some((e) => inPeriod(e.occurredAt))) chargesToCheck.add(chargeId);
  for (const chargeId of chargesToCheck) {
    const back = feesBack.get(chargeId) ?? [];
    const ours = back.reduce((sum, e) => sum + e.amount, 0);
    const seen = refundCharges.get(chargeId);
    const paymentId = back[0]?.paymentId ?? paymentOf(chargeId);
    const currency = back[0]?.currency ?? seen?.txns[0].currency ?? '';
    if (!seen) {
      differences.push({
        kind: D.MISSING_AT_PROVIDER,
        amount: ours,
        currency,
        providerId: chargeId,
        paymentId,
        detail: `ledger APPLICATION_FEE_REFUNDED ${ours} on ${chargeId}; no fee refund at the provider`,
      });
    } else if (seen.total !== ours) {
      differences.push({
        kind: ours === 0 ? D.MISSING_HERE : D.AMOUNT_DIFFERS,
        amount: seen.total - ours,
        currency,
        providerId: chargeId,
        paymentId,
        detail: `application fee refunded ${seen.total} at the provider, ledger ${ours}`,
      });
    } else {
      matched += seen.txns.filter((t) => inPeriod(t.created)).length;
    }
  }
  for (const txn of input.connected) {
    if (txn.kind !== 'APPLICATION_FEE_REFUND' || !inPeriod(txn.created)) continue;
    const counterpart = platformBySource.get(txn.sourceId);
    const base = { currency: txn.currency, providerId: txn.id, paymentId: paymentOf(counterpart?.chargeId ?? null) };
    if (!counterpart)
      differences.push({
        ...base,
        kind: D.MISSING_HERE,
        amount: txn.amount,
        detail: `application fee refund ${txn.amount} (${txn.sourceId ?? '?'}) with no platform counterpart`,
      });
    else if (counterpart.amount !== -txn.amount)
      differences.push({
        ...base,
        kind: D.AMOUNT_DIFFERS,
        amount: txn.amount + counterpart.amount,
        detail: `fee refund ${txn.amount} here, ${counterpart.amount} on the platform`,
      });
    else matched += 1;
  }
  differences.sort(byKindAndId);
  return { matched, differences };
}

/** The order differences are stored and shown in: by kind, then provider id. */
export function byKindAndId(
  a: { kind: D; providerId?: string | null },
  b: { kind: D; providerId?: string | null },
): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  const [x, y] = [a.providerId ?? '', b.providerId ?? ''];
  return x < y ? -1 : x > y ? 1 : 0;
}
