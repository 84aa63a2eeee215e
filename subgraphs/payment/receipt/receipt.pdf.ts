import PDFDocument from 'pdfkit';
import { minorDigits, type Money } from '../../../platform/money.js';
import { formatKwh } from './receipt.lines.js';
import type { Receipt } from './receipt.types.js';

/** 123456 EUR → "1234.56 EUR", -5 JPY → "-5 JPY": exact, from the integer (no floating point). */
export function formatMoney({ amount, currency }: Pick<Money, 'amount' | 'currency'>): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const major = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  return `${sign}${major} ${currency}`;
}

/** 1900 → "19 %", 750 → "7.5 %", 5 → "0.05 %". */
function percent(basisPoints: number): string {
  const fraction = String(basisPoints % 100)
    .padStart(2, '0')
    .replace(/0$/, '');
  return `${Math.floor(basisPoints / 100)}${fraction ? `.${fraction}` : ''} %`;
}
const dateTime = (at: Date) => at.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/**
 * The receipt as a PDF (A4, pdfkit's built-in Helvetica): the same figures as `Payment.receipt`, nothing computed
 * here. The built-in fonts cover Latin-1 and the euro sign; names in other scripts would need an embedded font.
 */
export function renderReceiptPdf(receipt: Receipt): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Receipt ${receipt.number}`, Author: receipt.merchant.legalName },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const { merchant } = receipt;
  doc.font('Helvetica-Bold').fontSize(16).text(merchant.legalName);
  doc.font('Helvetica').fontSize(10);
  if (merchant.address) doc.text(merchant.address);
  if (merchant.vatId) doc.text(`VAT ID: ${merchant.vatId}`);
  doc.moveDown();

  doc.font('Helvetica-Bold').fontSize(13).text(`Receipt ${receipt.number}`);
  doc.font('Helvetica').fontSize(10);
  doc.text(`Issued: ${dateTime(receipt.issuedAt)}`);
  if (receipt.paidAt) doc.text(`Paid: ${dateTime(receipt.paidAt)}`);
  if (receipt.cardBrand && receipt.cardLast4) doc.text(`Card: ${receipt.cardBrand} ending in ${receipt.cardLast4}`);
  doc.moveDown();

  if (receipt.station?.name) doc.text(`Station: ${receipt.station.name}`);
  if (receipt.station?.address) doc.text(receipt.station.address);
  doc.text(
    `Session: ${dateTime(receipt.sessionStartedAt)} – ${receipt.sessionEndedAt ? dateTime(receipt.sessionEndedAt) : 'open'}`,
  );
  doc.text(`Energy: ${formatKwh(receipt.energyWh)} kWh`);
  doc.moveDown();

  // Columns: description | net | tax rate | tax | total
  const columns = [50, 270, 350, 410, 480];
  const widths = [215, 75, 55, 65, 65];
  const row = (cells: string[], bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    cells.forEach((cell, i) =>
      doc.text(cell, columns[i], y, { width: widths[i], align: i === 0 ? 'left' : 'right', lineBreak: i === 0 }),
    );
    doc.x = columns[0];
    doc.moveDown(0.4);
  };
  row(['Description', 'Net', 'Tax rate', 'Tax', 'Total'], true);
  for (const line of receipt.lines)
    row([
      line.description,
      formatMoney(line.net),
      percent(line.taxRateBasisPoints),
      formatMoney(line.tax),
      formatMoney(line.total),
    ]);
  doc.moveDown(0.5);
  row(['Net', formatMoney(receipt.net), '', '', ''], true);
  row(['Tax', '', '', formatMoney(receipt.tax), ''], true);
  row(['Total', '', '', '', formatMoney(receipt.total)], true);
  if (receipt.refunded.amount > 0)
    doc.text(`Charged ${formatMoney(receipt.amount)}, refunded ${formatMoney(receipt.refunded)}.`, columns[0]);

  doc.end();
  return done;
}
