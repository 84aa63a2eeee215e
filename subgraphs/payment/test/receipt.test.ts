import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevToken } from '../../../dev/tokens.js';
import { createTokenVerifier } from '../../../gateway/auth.js';
import { receiptProxy } from '../../../gateway/receipts.js';
import { newId } from '../../../platform/ids.js';
import { IDENTITY_HEADER, Role, signIdentity, type Identity } from '../../../platform/identity.js';
import { lineTax } from '../../../platform/money.js';
import { createLogger } from '../../../platform/logger.js';
import { testConfig } from '../../../test/support/config.js';
import { Payment } from '../payment/payment.entity.js';
import { IssuedReceipt } from '../receipt/receipt.entity.js';
import { ReceiptService } from '../receipt/receipt.service.js';
import { chargeLines, splitGross, sumOf } from '../receipt/receipt.lines.js';
import {
  adminOf,
  authorize,
  complete,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  platformAdmin,
  refund,
  session,
  startHarness,
  type Harness,
  type SessionFact,
} from './harness.js';

/*
 * Receipts: issued by the operator (merchant of record) on first read, numbered without gaps per operator, with
 * priced lines whose per-line tax adds up to what was charged, refunds as credit lines, and the same receipt as a
 * PDF for the paying driver and the operator's admins only.
 */

type Money = { amount: number; currency: string };
interface ReceiptView {
  number: string;
  sequence: number;
  issuedAt: string;
  merchant: { legalName: string; address: string | null; vatId: string | null };
  station: { id: string; name: string | null; address: string | null } | null;
  sessionStartedAt: string;
  sessionEndedAt: string | null;
  energyWh: number;
  lines: Array<{ kind: string; description: string; net: Money; taxRateBasisPoints: number; tax: Money; total: Money }>;
  net: Money;
  tax: Money;
  total: Money;
  amount: Money;
  refunded: Money;
  cardBrand: string | null;
  cardLast4: string | null;
  pdfUrl: string;
}

const RECEIPT = `number sequence issuedAt merchant { legalName address vatId } station { id name address }
  sessionStartedAt sessionEndedAt energyWh
  lines { kind description net { amount currency } taxRateBasisPoints tax { amount currency } total { amount currency } }
  net { amount currency } tax { amount currency } total { amount currency } amount { amount currency }
  refunded { amount currency } cardBrand cardLast4 pdfUrl`;

const READ = `query ($id: ID!) { _entities(representations: [{ __typename: "Payment", id: $id }]) { ... on Payment { id status receipt { ${RECEIPT} } } } }`;
const CHARGE = `mutation ($id: ID!) { chargeSession(sessionId: $id) { id status amount { amount } } }`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.destroy());

const readReceipt = async (paymentId: string, who: Identity) =>
  dataOf(
    await h.subgraph.run<{ _entities: Array<{ id: string; status: string; receipt: ReceiptView | null }> }>(
      READ,
      { id: paymentId },
      who,
    ),
  )._entities[0].receipt;

/** An operator with its merchant details and one station, onboarded at the emulator. */
async function merchant(vatId = 'DE123456789') {
  const operator = await onboardedOperator(h);
  const fact = h.owners.operators.get(operator.id)!;
  Object.assign(fact, {
    name: 'Voltia',
    legalName: 'Voltia Ladestrom GmbH',
    legalAddress: 'Hauptstraße 1, 10115 Berlin, DE',
    vatId,
  });
  const stationId = newId();
  h.owners.stations.set(stationId, {
    id: stationId,
    name: 'Alexanderplatz Garage',
    address: { street: 'Alexanderstraße 7', city: 'Berlin', postalCode: '10178', country: 'DE' },
  });
  return { ...operator, stationId };
}

/** The session subgraph's price for these net lines (tax per line, rounded half up). */
const priced = (energy: number, time: number, sessionFee: number, rate: number) => {
  const tax = lineTax(energy, rate) + lineTax(time, rate) + lineTax(sessionFee, rate);
  return { cost: { energy, time, sessionFee, tax }, total: energy + time + sessionFee + tax, taxRateBasisPoints: rate };
};

/** A completed, charged session (a hold first when `hold` is given, else an off-session charge). */
async function paidSession(
  operator: { id: string; stationId: string },
  options: { driver?: Identity; hold?: number; price?: ReturnType<typeof priced>; energyWh?: number } = {},
): Promise<{ paymentId: string; driver: Identity; session: SessionFact }> {
  const driver = options.driver ?? newDriver();
  const card = await driverWithCard(h, driver);
  const price = options.price ?? priced(431, 61, 50, 1900);
  const s = session(h, {
    driverId: driver.sub!,
    operatorId: operator.id,
    stationId: operator.stationId,
    energyWh: options.energyWh ?? 12_345,
    preAuthorization: options.hold ?? 5000,
    ...price,
  });
  if (options.hold !== undefined) dataOf(await authorize(h, driver, s.id, card));
  complete(s, price.total);
  const paid = dataOf(
    await h.subgraph.run<{ chargeSession: { id: string; status: string } }>(CHARGE, { id: s.id }, driver),
  ).chargeSession;
  expect(paid.status).toBe('SUCCEEDED');
  return { paymentId: paid.id, driver, session: s };
}

describe('receipt lines', () => {
  it('shows the merchant, the station, the session and priced lines with tax per line that add up to the total', async () => {
    const operator = await merchant();
    const { paymentId, driver, session: s } = await paidSession(operator);
    const receipt = (await readReceipt(paymentId, driver))!;

    expect(receipt).toMatchObject({
      number: '000001',
      sequence: 1,
      merchant: {
        legalName: 'Voltia Ladestrom GmbH',
        address: 'Hauptstraße 1, 10115 Berlin, DE',
        vatId: 'DE123456789',
      },
      station: {
        id: operator.stationId,
        name: 'Alexanderplatz Garage',
        address: 'Alexanderstraße 7, 10178 Berlin, DE',
      },
      sessionStartedAt: s.startedAt.toISOString(),
      sessionEndedAt: s.endedAt!.toISOString(),
      energyWh: 12_345,
      cardBrand: 'visa',
      cardLast4: '4242',
      pdfUrl: `/receipts/${paymentId}.pdf`,
    });
    // 19 % per line: 431 → 81.89 → 82, 61 → 11.59 → 12, 50 → 9.5 → 10; total 542 + 104 = 646
    expect(
      receipt.lines.map((l) => [l.kind, l.net.amount, l.taxRateBasisPoints, l.tax.amount, l.total.amount]),
    ).toEqual([
      ['ENERGY', 431, 1900, 82, 513],
      ['TIME', 61, 1900, 12, 73],
      ['SESSION_FEE', 50, 1900, 10, 60],
    ]);
    expect(receipt.lines[0].description).toBe('Energy 12.345 kWh');
    for (const line of receipt.lines) expect(line.tax.amount).toBe(lineTax(line.net.amount, line.taxRateBasisPoints));
    expect(receipt.net).toEqual({ amount: 542, currency: 'EUR' });
    expect(receipt.tax).toEqual({ amount: 104, currency: 'EUR' });
    expect(receipt.total).toEqual({ amount: 646, currency: 'EUR' });
    expect(receipt.amount).toEqual({ amount: 646, currency: 'EUR' });
    expect(receipt.lines.reduce((sum, l) => sum + l.total.amount, 0)).toBe(receipt.total.amount);
    expect(receipt.net.amount + receipt.tax.amount).toBe(receipt.total.amount);

    // The operator's admin reads the same receipt, without the driver's card; a stranger cannot read the payment.
    const seenByOperator = (await readReceipt(paymentId, adminOf(operator.id)))!;
    expect(seenByOperator).toEqual({ ...receipt, cardBrand: null, cardLast4: null });
    const stranger = await h.subgraph.run(READ, { id: paymentId }, newDriver());
    expect(stranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps what it issued: later operator edits change neither the merchant nor the number', async () => {
    const operator = await merchant();
    const { paymentId, driver } = await paidSession(operator);
    const first = (await readReceipt(paymentId, driver))!;
    Object.assign(h.owners.operators.get(operator.id)!, { legalName: 'Renamed AG', vatId: 'DE999999999' });
    const again = (await readReceipt(paymentId, driver))!;
    expect(again).toEqual(first);
    expect(again.merchant.legalName).toBe('Voltia Ladestrom GmbH');
  });

  it('shows what a capture capped at the hold did not collect, so the lines add up to what was charged', async () => {
    const operator = await merchant();
    const { paymentId, driver } = await paidSession(operator, { hold: 500 });
    const receipt = (await readReceipt(paymentId, driver))!;
    expect(receipt.amount.amount).toBe(500);
    // 646 cost, 500 captured: −146 gross, net −round(146 / 1.19) = −123, tax −23
    expect(receipt.lines.at(-1)).toMatchObject({
      kind: 'NOT_COLLECTED',
      net: { amount: -123 },
      tax: { amount: -23 },
      total: { amount: -146 },
    });
    expect(receipt.lines.reduce((sum, l) => sum + l.total.amount, 0)).toBe(500);
    expect(receipt.total.amount).toBe(500);
    expect(receipt.net.amount + receipt.tax.amount).toBe(500);
  });

  it('turns a succeeded refund into a credit line without changing the number', async () => {
    const operator = await merchant();
    const { paymentId, driver } = await paidSession(operator);
    const before = (await readReceipt(paymentId, driver))!;
    const refunded = dataOf(await refund(h, adminOf(operator.id), paymentId, 200)).refundPayment;
    expect(refunded.status).toBe('SUCCEEDED');
    const after = (await readReceipt(paymentId, driver))!;
    expect(after.number).toBe(before.number);
    expect(after.lines.slice(0, -1)).toEqual(before.lines);
    // −200 gross at 19 %: net −round(200 / 1.19) = −168, tax −32
    expect(after.lines.at(-1)).toMatchObject({
      kind: 'REFUND',
      net: { amount: -168 },
      tax: { amount: -32 },
      total: { amount: -200 },
    });
    expect(after).toMatchObject({
      amount: { amount: 646 },
      refunded: { amount: 200 },
      net: { amount: 542 - 168 },
      tax: { amount: 104 - 32 },
      total: { amount: 446 },
    });
    expect(after.lines.reduce((sum, l) => sum + l.total.amount, 0)).toBe(after.total.amount);
  });

  it('has no receipt before the payment succeeded', async () => {
    const operator = await merchant();
    const driver = newDriver();
    const card = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id, stationId: operator.stationId });
    const held = dataOf(await authorize(h, driver, s.id, card)).authorizeChargingSession;
    expect(await readReceipt(held.id, driver)).toBeNull();
    expect(await h.subgraph.orm.em.fork().count(IssuedReceipt, { paymentId: held.id })).toBe(0);
  });

  it('splits gross amounts and closes every sum exactly, whatever the rate (pure arithmetic)', () => {
    for (const rate of [0, 700, 1900, 2000, 2500, 810])
      for (const [energy, time, fee] of [
        [431, 61, 50],
        [1, 1, 1],
        [99_999, 0, 0],
        [0, 0, 0],
        [5, 3, 7],
      ]) {
        const session = {
          currency: 'EUR',
          energyWh: 1,
          seconds: 1,
          taxRateBasisPoints: rate,
          energy,
          time,
          sessionFee: fee,
        };
        const total = energy + time + fee + lineTax(energy, rate) + lineTax(time, rate) + lineTax(fee, rate);
        for (const charged of [total, Math.max(0, total - 17), total + 1]) {
          const lines = chargeLines(session, charged);
          expect(sumOf(lines, 'total')).toBe(charged);
          expect(sumOf(lines, 'net') + sumOf(lines, 'tax')).toBe(charged);
        }
      }
    expect(splitGross(119, 1900)).toEqual({ net: 100, tax: 19 });
    expect(splitGross(-119, 1900)).toEqual({ net: -100, tax: -19 });
    expect(splitGross(1, 1900)).toEqual({ net: 1, tax: 0 });
  });
});

describe('receipt numbers', () => {
  it('are 1..50 without gap or duplicate under 50 concurrent first reads, and stable on re-read', async () => {
    const operator = await merchant();
    const other = await merchant();
    const paid = [];
    for (let i = 0; i < 50; i++) paid.push(await paidSession(operator, { price: priced(100 + i, 0, 0, 1900) }));
    const foreign = await paidSession(other);

    const first = await Promise.all(
      [...paid.map((p) => ({ ...p, who: p.driver })), { ...foreign, who: foreign.driver }].map(async (p) => ({
        paymentId: p.paymentId,
        receipt: (await readReceipt(p.paymentId, p.who))!,
      })),
    );
    const own = first.filter((r) => r.paymentId !== foreign.paymentId);
    expect(own.map((r) => r.receipt.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    // Each operator counts on its own.
    expect(first.find((r) => r.paymentId === foreign.paymentId)!.receipt.sequence).toBe(1);

    // Re-read, concurrently again, by the operator's admin this time: the same numbers.
    const again = await Promise.all(own.map(async (r) => (await readReceipt(r.paymentId, adminOf(operator.id)))!));
    expect(again.map((r) => r.number)).toEqual(own.map((r) => r.receipt.number));
    const counter: Array<{ last_number: number }> = await h.subgraph.orm.em
      .fork()
      .execute('select last_number from receipt_counter where operator_id = ?', [operator.id]);
    expect(counter[0].last_number).toBe(50);
    expect(await h.subgraph.orm.em.fork().count(IssuedReceipt, { operatorId: operator.id })).toBe(50);
  }, 120_000);

  it('takes no number when the receipt cannot be issued (an owner does not answer): the next issue gets it', async () => {
    const operator = await merchant();
    const { paymentId, driver } = await paidSession(operator);
    const fact = h.owners.operators.get(operator.id)!;
    h.owners.operators.delete(operator.id);
    const failed = await h.subgraph.run<{ _entities: Array<{ receipt: ReceiptView | null }> }>(
      READ,
      { id: paymentId },
      driver,
    );
    expect(failed.data?._entities[0].receipt).toBeNull();
    expect(failed.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(await h.subgraph.orm.em.fork().count(IssuedReceipt, { operatorId: operator.id })).toBe(0);
    h.owners.operators.set(operator.id, fact);
    expect((await readReceipt(paymentId, driver))!.number).toBe('000001');
  });

  it('gives one number to one payment read 10 times at once, and the next payment the next number', async () => {
    const operator = await merchant();
    const { paymentId, driver } = await paidSession(operator);
    const reads = await Promise.all(Array.from({ length: 10 }, () => readReceipt(paymentId, driver)));
    expect(new Set(reads.map((r) => r!.number))).toEqual(new Set(['000001']));
    const next = await paidSession(operator);
    expect((await readReceipt(next.paymentId, next.driver))!.number).toBe('000002');
  });
});

describe('receipts of a page of payments', () => {
  it('issues them with one call per owner subgraph for the whole page, numbered 1..n', async () => {
    const operator = await merchant();
    for (let i = 0; i < 5; i++) await paidSession(operator);
    const asked = h.owners.queries.length;
    const page = dataOf(
      await h.subgraph.run<{
        _entities: Array<{ payments: { edges: Array<{ node: { receipt: { sequence: number; total: Money } } }> } }>;
      }>(
        `query ($id: ID!) { _entities(representations: [{ __typename: "Operator", id: $id }]) { ... on Operator { payments(first: 10) { edges { node { receipt { sequence total { amount currency } } } } } } } }`,
        { id: operator.id },
        adminOf(operator.id),
      ),
    )._entities[0].payments.edges.map((e) => e.node.receipt);
    expect(page.map((r) => r.sequence).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(page.every((r) => r.total.amount === 646)).toBe(true);
    const calls = h.owners.queries.slice(asked);
    expect(calls.filter((q) => q.includes('... on ChargingSession'))).toHaveLength(1);
    expect(calls.filter((q) => q.includes('... on Operator'))).toHaveLength(1);
    expect(calls.filter((q) => q.includes('... on Station'))).toHaveLength(1);
  });
});

describe('receipt issue across replicas', () => {
  it('lets one of two replicas issue a payment read on both at once; the other finds it, no number is lost', async () => {
    const operator = await merchant();
    const { paymentId } = await paidSession(operator);
    const payment = await h.subgraph.orm.em.fork().findOneOrFail(Payment, { id: paymentId });
    // Two services on the same database, as two replicas would be (no shared in-process state).
    const replicas = [h.services.receipts, new ReceiptService(h.subgraph.orm, h.services.receipts.sources)];
    const issued = await Promise.all(replicas.flatMap((r) => [r.receiptOf(payment, null), r.receiptOf(payment, null)]));
    expect(new Set(issued.map((r) => r!.number))).toEqual(new Set([1]));
    const next = await paidSession(operator);
    const nextPayment = await h.subgraph.orm.em.fork().findOneOrFail(Payment, { id: next.paymentId });
    expect((await replicas[1].receiptOf(nextPayment))!.number).toBe(2);
  });
});

describe('receipt PDF', () => {
  const pdfText = async (body: ArrayBuffer) => {
    const parser = new PDFParse({ data: new Uint8Array(body) });
    try {
      return (await parser.getText()).text;
    } finally {
      await parser.destroy();
    }
  };
  const config = testConfig();
  /** A call as the gateway makes it: the identity signed for this one call, bound to its (empty) body. */
  const signed = (identity: Identity) => ({
    [IDENTITY_HEADER]: signIdentity(identity, 'gateway', config.signingSecrets[0], ''),
  });
  const pdfUrl = (paymentId: string) => new URL(`/receipts/${paymentId}.pdf`, h.url);

  it('opens and shows the same figures as the GraphQL receipt, for the driver and the operator', async () => {
    const operator = await merchant('FR40303265045');
    const { paymentId, driver } = await paidSession(operator);
    dataOf(await refund(h, adminOf(operator.id), paymentId, 100));
    const receipt = (await readReceipt(paymentId, driver))!;

    const response = await fetch(pdfUrl(paymentId), { headers: signed(driver) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="receipt-${receipt.number}.pdf"`);
    const text = await pdfText(await response.arrayBuffer());
    expect(text).toContain(`Receipt ${receipt.number}`);
    expect(text).toContain('Voltia Ladestrom GmbH');
    expect(text).toContain('VAT ID: FR40303265045');
    expect(text).toContain('Alexanderplatz Garage');
    expect(text).toContain('Energy 12.345 kWh');
    expect(text).toContain('visa ending in 4242');
    expect(receipt.total.amount).toBe(546);
    expect(text).toMatch(/Total\s+5\.46 EUR/);
    expect(text).toMatch(/Tax\s+0\.88 EUR/); // 104 − refund's 16
    expect(text).toContain('-1.00 EUR'); // the refund line

    const forOperator = await fetch(pdfUrl(paymentId), { headers: signed(adminOf(operator.id)) });
    expect(forOperator.status).toBe(200);
    const operatorText = await pdfText(await forOperator.arrayBuffer());
    expect(operatorText).toContain(`Receipt ${receipt.number}`);
    expect(operatorText).not.toContain('4242'); // the card is the driver's
  });

  it('refuses a stranger, another operator, an anonymous caller, an unsigned or replayed call; 404 without a receipt', async () => {
    const operator = await merchant();
    const { paymentId } = await paidSession(operator);
    const url = pdfUrl(paymentId);
    const code = async (r: Response) =>
      ((await r.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code;

    const stranger = await fetch(url, { headers: signed(newDriver()) });
    expect([stranger.status, await code(stranger)]).toEqual([403, 'FORBIDDEN']);
    const otherOperator = await fetch(url, { headers: signed(adminOf(newId())) });
    expect([otherOperator.status, await code(otherOperator)]).toEqual([403, 'FORBIDDEN']);
    const anonymous = await fetch(url, { headers: signed({}) });
    expect([anonymous.status, await code(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(401);
    const headers = signed(platformAdmin);
    expect((await fetch(url, { headers })).status).toBe(200);
    expect((await fetch(url, { headers })).status).toBe(401); // the same signature again
    const unknown = await fetch(pdfUrl(newId()), { headers: signed(platformAdmin) });
    expect([unknown.status, await code(unknown)]).toEqual([404, 'NOT_FOUND']);
  });

  it('is served by the gateway with the bearer token, and refused there to strangers and anonymous callers', async () => {
    const operator = await merchant();
    const { paymentId, driver } = await paidSession(operator);
    const app = express().use(
      receiptProxy({
        verifyToken: createTokenVerifier(config),
        paymentUrl: h.url,
        signingSecret: config.signingSecrets[0],
        timeoutMs: 5_000,
        logger: createLogger('gateway', 'silent'),
      }),
    );
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bearer = async (driverIdentity: Identity) => ({
      authorization: `Bearer ${await signDevToken({ role: Role.DRIVER, sub: driverIdentity.sub! }, config.JWT_SECRET)}`,
    });
    try {
      const url = `${base}/receipts/${paymentId}.pdf`;
      const ok = await fetch(url, { headers: await bearer(driver) });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/pdf');
      expect(await pdfText(await ok.arrayBuffer())).toContain('Receipt 000001');
      expect((await fetch(url, { headers: await bearer(newDriver()) })).status).toBe(403);
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
