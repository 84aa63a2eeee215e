import DataLoader from 'dataloader';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { LoaderFactory } from '../../../platform/subgraph/context.js';
import { Money } from '../../../platform/money.js';
import { isUuid } from '../../../platform/ids.js';
import { locked, LockNamespace, type Orm } from '../locks.js';
import type { Payment } from '../payment/payment.entity.js';
import { PaymentStatus } from '../payment/payment.status.js';
import { RefundStatus, type Refund } from '../refund/refund.entity.js';
import { IssuedReceipt } from './receipt.entity.js';
import { chargeLines, lineTotal, rateOf, refundLine, sumOf, type PricedSession } from './receipt.lines.js';
import type { ReceiptFacts, ReceiptSources, ReceiptSubject } from './receipt.sources.js';
import { Receipt, ReceiptLine, ReceiptMerchant, ReceiptStation } from './receipt.types.js';

/** Only a succeeded payment that took money has a receipt. */
export const hasReceipt = (payment: Payment): payment is Payment & { amount: number } =>
  payment.status === PaymentStatus.SUCCEEDED && payment.amount != null && payment.amount > 0;

/** The public path of a receipt's PDF, on the gateway (gateway/receipts.ts) and on the payment subgraph alike. */
export const receiptPdfPath = (paymentId: string) => `/receipts/${paymentId}.pdf`;

export const formatReceiptNumber = (sequence: number) => String(sequence).padStart(6, '0');

/**
 * Issues receipts on first read and shows them. Numbers are gapless per operator: the operator's counter row is
 * advanced (`insert … on conflict do update … returning`) in the same transaction that stores the receipt, so a
 * number is taken only by a receipt that commits; the upsert's row lock makes concurrent issues of one operator
 * wait for each other, one number each. First reads of one payment: in one process they share one issue; across
 * replicas the payment's advisory lock lets one issue it and the others find it (the unique payment id backs both).
 */
export class ReceiptService {
  constructor(
    private readonly orm: Orm,
    readonly sources: ReceiptSources,
  ) {}

  /** Issues under way in this process, by payment: concurrent first reads of one payment share one issue. */
  private readonly issuing = new Map<string, Promise<IssuedReceipt>>();

  /**
   * The issued receipt of the payment, issuing it now when there is none yet; null when it has no receipt.
   * `issued`: what a request's loader found (null: none yet; left out: looked up here); `gather`: how to get the
   * facts (a request batches them for all its receipts).
   */
  async receiptOf(
    payment: Payment,
    issued?: IssuedReceipt | null,
    gather: (subject: ReceiptSubject) => Promise<ReceiptFacts> = (subject) => this.sources.gather(subject),
  ): Promise<IssuedReceipt | null> {
    if (!hasReceipt(payment)) return null;
    const existing =
      issued !== undefined ? issued : await this.orm.em.fork().findOne(IssuedReceipt, { paymentId: payment.id });
    if (existing) return existing;
    let issue = this.issuing.get(payment.id);
    if (!issue) {
      issue = this.issue(payment, gather).finally(() => this.issuing.delete(payment.id));
      this.issuing.set(payment.id, issue);
    }
    return issue;
  }

  private async issue(
    payment: Payment & { amount: number },
    gather: (subject: ReceiptSubject) => Promise<ReceiptFacts>,
  ): Promise<IssuedReceipt> {
    // Facts first, outside the transaction: no lock is held while other subgraphs answer.
    const facts = await gather({ sessionId: payment.sessionId, operatorId: payment.operatorId });
    try {
      return await locked(this.orm, LockNamespace.RECEIPT, payment.id, async (tx) => {
        // Another replica may have issued it while we gathered: then its receipt, and no number is taken.
        const found = await tx.findOne(IssuedReceipt, { paymentId: payment.id });
        if (found) return found;
        const [counter] = await tx.execute<Array<{ last_number: number }>>(
          `insert into receipt_counter (operator_id, last_number) values (?, 1)
           on conflict (operator_id) do update set last_number = receipt_counter.last_number + 1
           returning last_number`,
          [payment.operatorId],
        );
        const receipt = tx.create(IssuedReceipt, snapshot(payment, facts, counter.last_number, new Date()));
        await tx.flush();
        return receipt;
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // Belt and braces (the lock above prevents it): the other receipt won; our number went back with our rollback.
      return await this.orm.em.fork().findOneOrFail(IssuedReceipt, { paymentId: payment.id });
    }
  }
}

function snapshot(
  payment: Payment & { amount: number },
  { session, operator, station }: ReceiptFacts,
  sequence: number,
  now: Date,
) {
  const startedAt = new Date(session.startedAt);
  const endedAt = session.endedAt ? new Date(session.endedAt) : null;
  const priced: PricedSession = {
    currency: session.tariff.currency,
    energyWh: session.energyWh,
    seconds: endedAt ? Math.max(0, Math.floor((endedAt.getTime() - startedAt.getTime()) / 1000)) : 0,
    taxRateBasisPoints: session.tariff.taxRateBasisPoints,
    energy: session.cost.energy.amount,
    time: session.cost.time.amount,
    sessionFee: session.cost.sessionFee.amount,
  };
  return {
    paymentId: payment.id,
    operatorId: payment.operatorId,
    number: sequence,
    issuedAt: now,
    currency: payment.currency,
    chargedAmount: payment.amount,
    paidAt: payment.capturedAt ?? null,
    merchantLegalName: operator.legalName ?? operator.name,
    merchantAddress: operator.legalAddress,
    merchantVatId: operator.vatId,
    sessionId: payment.sessionId,
    stationId: session.station.id,
    stationName: station?.name ?? null,
    stationAddress: station
      ? `${station.address.street}, ${station.address.postalCode} ${station.address.city}, ${station.address.country}`
      : null,
    sessionStartedAt: startedAt,
    sessionEndedAt: endedAt,
    energyWh: session.energyWh,
    cardBrand: payment.cardBrand ?? null,
    cardLast4: payment.cardLast4 ?? null,
    lines: chargeLines(priced, payment.amount),
  };
}

/** An issued receipt with the payment's succeeded refunds as credit lines, as GraphQL shows it. */
export function receiptView(issued: IssuedReceipt, refunds: Refund[], showCard: boolean): Receipt {
  const rate = rateOf(issued.lines);
  const credits = refunds
    .filter((refund) => refund.status === RefundStatus.SUCCEEDED)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    .map((refund) => refundLine(refund.amount, rate, refund.updatedAt));
  const lines = [...issued.lines, ...credits];
  const money = (amount: number) => Money.of(amount, issued.currency);
  return Object.assign(new Receipt(), {
    number: formatReceiptNumber(issued.number),
    sequence: issued.number,
    issuedAt: issued.issuedAt,
    paidAt: issued.paidAt ?? null,
    merchant: Object.assign(new ReceiptMerchant(), {
      legalName: issued.merchantLegalName,
      address: issued.merchantAddress ?? null,
      vatId: issued.merchantVatId ?? null,
    }),
    station: Object.assign(new ReceiptStation(), {
      id: issued.stationId,
      name: issued.stationName ?? null,
      address: issued.stationAddress ?? null,
    }),
    sessionStartedAt: issued.sessionStartedAt,
    sessionEndedAt: issued.sessionEndedAt ?? null,
    energyWh: issued.energyWh,
    lines: lines.map((line) =>
      Object.assign(new ReceiptLine(), {
        kind: line.kind,
        description: line.description,
        net: money(line.net),
        taxRateBasisPoints: line.taxRateBasisPoints,
        tax: money(line.tax),
        total: money(lineTotal(line)),
      }),
    ),
    net: money(sumOf(lines, 'net')),
    tax: money(sumOf(lines, 'tax')),
    total: money(sumOf(lines, 'total')),
    amount: money(issued.chargedAmount),
    refunded: money(-sumOf(credits, 'total')),
    cardBrand: showCard ? (issued.cardBrand ?? null) : null,
    cardLast4: showCard ? (issued.cardLast4 ?? null) : null,
    pdfUrl: receiptPdfPath(issued.paymentId),
  });
}

/** Issued receipts by payment id, one query per request tick (a page of payments). */
export const issuedReceiptByPayment: LoaderFactory<string, IssuedReceipt | null> = (ctx) =>
  new DataLoader<string, IssuedReceipt | null>(async (paymentIds) => {
    const rows = await ctx.em.find(IssuedReceipt, { paymentId: { $in: paymentIds.filter(isUuid) } });
    const byPayment = new Map(rows.map((row) => [row.paymentId, row]));
    return paymentIds.map((id) => byPayment.get(id) ?? null);
  });
