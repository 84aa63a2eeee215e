import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CREATE_TARIFF,
  UNKNOWN_ID,
  adminOf,
  createOperator,
  dataOf,
  driver,
  errorCode,
  platformAdmin,
  rowCounts,
  startHarness,
  tariffInput,
  type Harness,
} from './harness.js';

let h: Harness;
let operatorId: string;
let otherOperatorId: string;
beforeAll(async () => {
  h = await startHarness();
  operatorId = await createOperator(h, 'Voltia');
  otherOperatorId = await createOperator(h, 'Rival');
});
afterAll(() => h.destroy());

describe('createTariff', () => {
  it("lets the operator's own admin create a tariff, with prices normalized and money in minor units", async () => {
    const input = tariffInput(operatorId, { energyPricePerKwh: '0.3490', timePricePerHour: '2.000000', sessionFee: 0 });
    const { createTariff } = dataOf(
      await h.station.run<{ createTariff: Record<string, unknown> }>(CREATE_TARIFF, { input }, adminOf(operatorId)),
    );
    expect(createTariff).toMatchObject({
      name: 'Standard',
      currency: 'EUR',
      energyPricePerKwh: '0.349',
      timePricePerHour: '2',
      taxRateBasisPoints: 1900,
      operator: { id: operatorId },
      sessionFee: { amount: 0, currency: 'EUR' },
      preAuthorization: { amount: 5000, currency: 'EUR' },
    });

    // Read back from the database: numeric(18,6) keeps every digit, and the answer is normalized again.
    const TARIFF = `query ($id: ID!) { tariff(id: $id) { energyPricePerKwh timePricePerHour } }`;
    const read = await h.station.run(TARIFF, { id: createTariff.id });
    expect(dataOf(read)).toEqual({ tariff: { energyPricePerKwh: '0.349', timePricePerHour: '2' } });
  });

  it('keeps six decimals exactly and handles zero-decimal currencies', async () => {
    const input = tariffInput(operatorId, {
      currency: 'JPY',
      energyPricePerKwh: '123456789012.123456',
      sessionFee: 100,
    });
    const { createTariff } = dataOf(
      await h.station.run<{ createTariff: Record<string, unknown> }>(CREATE_TARIFF, { input }, adminOf(operatorId)),
    );
    expect(createTariff).toMatchObject({
      energyPricePerKwh: '123456789012.123456',
      sessionFee: { amount: 100, currency: 'JPY' },
    });
  });

  it('lets a platform admin create a tariff for any operator', async () => {
    const result = await h.station.run(CREATE_TARIFF, { input: tariffInput(otherOperatorId) }, platformAdmin);
    expect(result.errors).toBeUndefined();
  });

  it.each([
    ["another operator's admin", () => adminOf(otherOperatorId), 'FORBIDDEN'],
    ['a driver', () => driver, 'FORBIDDEN'],
    ['an anonymous caller', () => ({}), 'UNAUTHENTICATED'],
  ])('refuses %s and writes nothing', async (_who, identity, code) => {
    const before = await rowCounts(h);
    const result = await h.station.run(CREATE_TARIFF, { input: tariffInput(operatorId) }, identity());
    expect(result.data).toBeNull();
    expect(errorCode(result)).toBe(code);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('answers NOT_FOUND for an operator the operator subgraph does not know', async () => {
    const before = await rowCounts(h);
    const result = await h.station.run(CREATE_TARIFF, { input: tariffInput(UNKNOWN_ID) }, platformAdmin);
    expect(errorCode(result)).toBe('NOT_FOUND');
    expect(result.errors?.[0].message).toContain(UNKNOWN_ID);
    expect(await rowCounts(h)).toEqual(before);
  });

  it.each([
    ['a negative energy price', { energyPricePerKwh: '-1' }],
    ['a non-numeric energy price', { energyPricePerKwh: 'abc' }],
    ['seven decimals', { energyPricePerKwh: '0.1234567' }],
    ['a negative time price', { timePricePerHour: '-0.5' }],
    ['a price given as a number', { timePricePerHour: 1.5 }],
    ['an unknown currency', { currency: 'EUX' }],
    ['a lower-case currency', { currency: 'eur' }],
    ['a negative session fee', { sessionFee: -1 }],
    ['a tax rate above 100 %', { taxRateBasisPoints: 10_001 }],
    ['a negative tax rate', { taxRateBasisPoints: -1 }],
    ['a zero pre-authorization', { preAuthorizationAmount: 0 }],
    ['an empty name', { name: '' }],
    ['an operator id that is not a UUID', { operatorId: 'op-1' }],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, override) => {
    const before = await rowCounts(h);
    const result = await h.station.run(CREATE_TARIFF, { input: tariffInput(operatorId, override) }, platformAdmin);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(await rowCounts(h)).toEqual(before);
  });

  it('answers NOT_FOUND for an unknown tariff', async () => {
    for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
      const result = await h.station.run(`query ($id: ID!) { tariff(id: $id) { id } }`, { id });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
  });
});
