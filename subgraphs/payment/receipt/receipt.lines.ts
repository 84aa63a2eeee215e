import { lineTax, roundHalfUp } from '../../../platform/money.js';
import type { ReceiptLineSnapshot } from './receipt.entity.js';

/*
 * The arithmetic of a receipt, in integer minor units, and its rounding rule:
 *
 *   energy, time, session fee   net as priced by the session subgraph; tax = net × rate / 10000 rounded half up on
 *                               each line (platform/money.ts lineTax, the same rule the session's price uses), so
 *                               these lines add up to the session's total exactly.
 *   not collected               when less was captured than the session cost (a capture capped at the hold), a
 *                               negative line for the difference, so the lines add up to what was charged.
 *   adjustment                  a session priced before tax was rounded per line can differ from its lines by a
 *                               minor unit: a line for that difference (positive or negative) keeps the sum exact.
 *   refund                      each succeeded refund, as a negative (credit) line.
 *
 * A gross amount G (not collected, adjustment, refund) is split into net and tax at the session's rate r as
 * net = G × 10000 / (10000 + r) rounded half up, tax = G − net; negative lines are split on |G| and negated, so a
 * full refund takes back exactly the net and tax of the charge when the charge is a single line.
 * The receipt's net, tax and total are the sums of its lines; total = charged − refunded.
 */

export enum ReceiptLineKind {
  ENERGY = 'ENERGY',
  TIME = 'TIME',
  SESSION_FEE = 'SESSION_FEE',
  NOT_COLLECTED = 'NOT_COLLECTED',
  ADJUSTMENT = 'ADJUSTMENT',
  REFUND = 'REFUND',
}

/** The session's priced parts, as its owner reports them. */
export interface PricedSession {
  currency: string;
  energyWh: number;
  /** Whole seconds billed (end − start). */
  seconds: number;
  taxRateBasisPoints: number;
  energy: number;
  time: number;
  sessionFee: number;
}

/** G split into net + tax at the rate (see above); works for negative G by symmetry. */
export function splitGross(gross: number, taxRateBasisPoints: number): { net: number; tax: number } {
  const magnitude = BigInt(Math.abs(gross));
  const net = Number(roundHalfUp(magnitude * 10_000n, 10_000n + BigInt(taxRateBasisPoints)));
  const tax = Math.abs(gross) - net;
  return gross < 0 ? { net: -net, tax: -tax } : { net, tax };
}

const priced = (kind: ReceiptLineKind, description: string, net: number, rate: number): ReceiptLineSnapshot => ({
  kind,
  description,
  net,
  taxRateBasisPoints: rate,
  tax: lineTax(net, rate),
});

const grossLine = (kind: ReceiptLineKind, description: string, gross: number, rate: number) => ({
  kind,
  description,
  taxRateBasisPoints: rate,
  ...splitGross(gross, rate),
});

export const lineTotal = (line: Pick<ReceiptLineSnapshot, 'net' | 'tax'>) => line.net + line.tax;
export const sumOf = (lines: ReceiptLineSnapshot[], part: 'net' | 'tax' | 'total') =>
  lines.reduce((sum, line) => sum + (part === 'total' ? lineTotal(line) : line[part]), 0);

/** The lines issued for a charge: priced lines, then whatever makes them add up to `charged` exactly. */
export function chargeLines(session: PricedSession, charged: number): ReceiptLineSnapshot[] {
  const rate = session.taxRateBasisPoints;
  const lines = [priced(ReceiptLineKind.ENERGY, `Energy ${formatKwh(session.energyWh)} kWh`, session.energy, rate)];
  if (session.time > 0)
    lines.push(priced(ReceiptLineKind.TIME, `Charging time ${formatDuration(session.seconds)}`, session.time, rate));
  if (session.sessionFee > 0) lines.push(priced(ReceiptLineKind.SESSION_FEE, 'Session fee', session.sessionFee, rate));
  const difference = charged - sumOf(lines, 'total');
  if (difference < 0)
    lines.push(grossLine(ReceiptLineKind.NOT_COLLECTED, 'Not collected (above the card hold)', difference, rate));
  else if (difference > 0) lines.push(grossLine(ReceiptLineKind.ADJUSTMENT, 'Rounding adjustment', difference, rate));
  return lines;
}

/** A succeeded refund as a credit line. */
export const refundLine = (amount: number, taxRateBasisPoints: number, on: Date): ReceiptLineSnapshot =>
  grossLine(ReceiptLineKind.REFUND, `Refund of ${on.toISOString().slice(0, 10)}`, -amount, taxRateBasisPoints);

/** The tax rate of a receipt: the one its priced lines carry (a session has one). */
export const rateOf = (lines: ReceiptLineSnapshot[]): number => lines[0]?.taxRateBasisPoints ?? 0;

/** 12345 Wh → "12.345" (exact: Wh are integers). */
export const formatKwh = (wh: number): string => `${Math.trunc(wh / 1000)}.${String(wh % 1000).padStart(3, '0')}`;

/** 1815 s → "0:30:15". */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
