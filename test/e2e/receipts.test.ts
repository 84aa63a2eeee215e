import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineTax } from '../../platform/money.js';
import {
  adminOf,
  chargeSession,
  finishSession,
  newDriver,
  ok,
  platformAdmin,
  providerAccountOf,
  saveCard,
  startPaymentStack,
  startSession,
  type Operator,
  type PaymentStack,
} from '../payment/support.js';

/*
 * Receipts end to end: the payment subgraph asks the real session, station and operator subgraphs for what a receipt
 * copies; the driver reads it through the gateway, and fetches the same receipt as a PDF from the gateway with the
 * bearer token (strangers and anonymous callers are refused there).
 */

let p: PaymentStack;
let operator: Operator;
beforeAll(async () => {
  p = await startPaymentStack({ SESSION_JOB_POLLING_SECONDS: '60' });
  operator = await taxedOperator();
}, 120_000);
afterAll(() => p?.destroy());

/** An operator with its merchant details, a tariff with time price, session fee and 19 % tax, and one station. */
async function taxedOperator(): Promise<Operator> {
  const { stack } = p;
  const { createOperator: created } = ok(
    await stack.query<{ createOperator: { id: string } }>(
      `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
      { input: { name: 'Stromfluss', country: 'DE', defaultCurrency: 'EUR', contactEmail: 'ops@stromfluss.example' } },
      platformAdmin,
    ),
  );
  // The operator's own admin sets what the receipts print.
  ok(
    await stack.query(
      `mutation ($id: ID!, $input: UpdateOperatorInput!) { updateOperator(id: $id, input: $input) { id } }`,
      {
        id: created.id,
        input: { legalName: 'Stromfluss GmbH', legalAddress: 'Torstraße 5, 10119 Berlin, DE', vatId: 'DE123456789' },
      },
      adminOf(created.id),
    ),
  );
  const { createTariff: tariff } = ok(
    await stack.query<{ createTariff: { id: string } }>(
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: created.id,
          name: 'taxed',
          currency: 'EUR',
          energyPricePerKwh: '0.349',
          timePricePerHour: '1.2',
          sessionFee: 50,
          taxRateBasisPoints: 1900,
          preAuthorizationAmount: 5000,
        },
      },
      platformAdmin,
    ),
  );
  const { createStation: station } = ok(
    await stack.query<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
      `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
      {
        input: {
          operatorId: created.id,
          name: 'Torstraße Hub',
          address: { street: 'Torstraße 9', city: 'Berlin', postalCode: '10119', country: 'DE' },
          location: { latitude: 52.53, longitude: 13.4 },
          timezone: 'Europe/Berlin',
          tariffId: tariff.id,
          connectors: [{ standard: 'CCS2', powerKw: 150 }],
        },
      },
      platformAdmin,
    ),
  );
  ok(
    await stack.query(
      `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url } }`,
      { id: created.id },
      adminOf(created.id),
    ),
  );
  const account = await providerAccountOf(p, created.id);
  expect((await fetch(`${p.emulator.url}/_emulator/accounts/${account}/onboard`, { method: 'POST' })).status).toBe(200);
  await p.emulator.flushWebhooks();
  return {
    id: created.id,
    account,
    stationId: station.id,
    connectorIds: station.connectors.map((c) => c.id),
    currency: 'EUR',
  };
}

type Money = { amount: number; currency: string };
const SESSION = `query ($id: ID!) { chargingSession(id: $id) {
  energyWh cost { energy { amount } time { amount } sessionFee { amount } tax { amount } total { amount } }
  payment { id amount { amount } receipt {
    number sequence merchant { legalName address vatId } station { id name address } energyWh
    lines { kind net { amount currency } taxRateBasisPoints tax { amount currency } total { amount } }
    net { amount } tax { amount } total { amount currency } cardBrand cardLast4 pdfUrl } } } }`;
interface SessionView {
  energyWh: number;
  cost: Record<'energy' | 'time' | 'sessionFee' | 'tax' | 'total', { amount: number }>;
  payment: {
    id: string;
    amount: { amount: number };
    receipt: {
      number: string;
      sequence: number;
      merchant: { legalName: string; address: string; vatId: string };
      station: { id: string; name: string; address: string };
      energyWh: number;
      lines: Array<{ kind: string; net: Money; taxRateBasisPoints: number; tax: Money; total: { amount: number } }>;
      net: { amount: number };
      tax: { amount: number };
      total: Money;
      cardBrand: string | null;
      cardLast4: string | null;
      pdfUrl: string;
    };
  };
}

describe('receipts through the gateway', () => {
  it('copies merchant, station and priced lines from their owners; the PDF shows the same figures to the driver only', async () => {
    const driver = newDriver();
    await saveCard(p, driver);
    const sessionId = await startSession(p, driver, operator);
    await finishSession(p, driver, operator, sessionId, 12_345);
    ok(await chargeSession(p, driver, sessionId));

    const { chargingSession: s } = ok(
      await p.stack.query<{ chargingSession: SessionView }>(SESSION, { id: sessionId }, driver),
    );
    const receipt = s.payment.receipt;
    expect(receipt).toMatchObject({
      number: '000001',
      merchant: { legalName: 'Stromfluss GmbH', address: 'Torstraße 5, 10119 Berlin, DE', vatId: 'DE123456789' },
      station: { id: operator.stationId, name: 'Torstraße Hub', address: 'Torstraße 9, 10119 Berlin, DE' },
      energyWh: 12_345,
      cardBrand: 'visa',
      cardLast4: '4242',
    });
    // The session's own price, line by line, with tax per line; the lines add up to the session total and the charge.
    expect(receipt.lines.map((l) => [l.kind, l.net.amount])).toEqual([
      ['ENERGY', s.cost.energy.amount],
      ['TIME', s.cost.time.amount],
      ['SESSION_FEE', s.cost.sessionFee.amount],
    ]);
    for (const line of receipt.lines) expect(line.tax.amount).toBe(lineTax(line.net.amount, 1900));
    expect(receipt.tax.amount).toBe(s.cost.tax.amount);
    expect(receipt.lines.reduce((sum, l) => sum + l.total.amount, 0)).toBe(receipt.total.amount);
    expect(receipt.total).toEqual({ amount: s.cost.total.amount, currency: 'EUR' });
    expect(s.payment.amount.amount).toBe(receipt.total.amount);

    const url = new URL(receipt.pdfUrl, p.stack.gatewayUrl);
    const pdf = await fetch(url, { headers: { authorization: `Bearer ${await p.stack.token(driver)}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const parser = new PDFParse({ data: new Uint8Array(await pdf.arrayBuffer()) });
    const text = (await parser.getText()).text;
    await parser.destroy();
    const euros = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')} EUR`;
    expect(text).toContain('Receipt 000001');
    expect(text).toContain('VAT ID: DE123456789');
    expect(text).toMatch(new RegExp(`Total\\s+${euros(receipt.total.amount).replace('.', '\\.')}`));

    const stranger = await fetch(url, { headers: { authorization: `Bearer ${await p.stack.token(newDriver())}` } });
    expect(stranger.status).toBe(403);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    const operatorAdmin = await fetch(url, {
      headers: { authorization: `Bearer ${await p.stack.token(adminOf(operator.id))}` },
    });
    expect(operatorAdmin.status).toBe(200);
  });
});
