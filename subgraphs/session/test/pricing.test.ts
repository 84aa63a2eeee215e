import { describe, expect, it } from 'vitest';
import {
  billableSeconds,
  energyAmount,
  priceSession,
  taxAmount,
  timeAmount,
  type PricingTariff,
} from '../pricing/pricing.js';

const eur: PricingTariff = {
  currency: 'EUR',
  energyPricePerKwh: '0.349',
  timePricePerHour: '1.2',
  sessionFeeAmount: 50,
  taxRateBasisPoints: 1900,
};

describe('component amounts', () => {
  it('prices energy per kWh in minor units, rounding half up', () => {
    expect(energyAmount(12_345, '0.349', 'EUR')).toBe(431n); // 4.308405 EUR
    expect(energyAmount(1_000, '0.349', 'EUR')).toBe(35n); // 34.9 ct
    expect(energyAmount(0, '0.349', 'EUR')).toBe(0n);
  });

  it('is exact where binary floating point is not (1.005 EUR → 101 ct, not 100)', () => {
    expect(Math.round(1.005 * 100)).toBe(100); // the float trap this module avoids
    expect(energyAmount(1_005, '1', 'EUR')).toBe(101n);
  });

  it('uses all six decimals of a price', () => {
    expect(energyAmount(1_000_000, '0.123456', 'EUR')).toBe(12_346n); // 123.456 EUR
    expect(energyAmount(1, '0.000001', 'EUR')).toBe(0n);
  });

  it('prices time per hour on whole seconds', () => {
    expect(timeAmount(1_815, '1.2', 'EUR')).toBe(61n); // 0.605 EUR, the half rounds up
    expect(timeAmount(3_600, '1.2', 'EUR')).toBe(120n);
    expect(timeAmount(14, '1.2', 'EUR')).toBe(0n); // 0.4667 ct
    expect(timeAmount(15, '1.2', 'EUR')).toBe(1n); // 0.5 ct
  });

  it('rounds tax half up', () => {
    expect(taxAmount(250n, 1900)).toBe(48n); // 47.5
    expect(taxAmount(542n, 1900)).toBe(103n); // 102.98
    expect(taxAmount(100n, 0)).toBe(0n);
  });

  it('counts whole elapsed seconds and never a negative duration', () => {
    const start = new Date('2026-01-01T10:00:00.000Z');
    expect(billableSeconds(start, new Date('2026-01-01T10:30:15.999Z'))).toBe(1_815);
    expect(billableSeconds(start, start)).toBe(0);
    expect(billableSeconds(start, new Date('2026-01-01T09:59:00.000Z'))).toBe(0);
  });
});

describe('priceSession', () => {
  it('prices a EUR session: energy + time + fee, tax on top of each line', () => {
    // energy 12.345 kWh × 0.349 = 4.308405 → 431; time 1815 s × 1.2/h = 0.605 → 61; fee 50
    // tax 19 % per line: 81.89 → 82, 11.59 → 12, 9.5 → 10 = 104 (once on the sum 542 it was 102.98 → 103)
    expect(priceSession(eur, { energyWh: 12_345, seconds: 1_815 })).toEqual({
      energy: 431,
      time: 61,
      sessionFee: 50,
      tax: 104,
      total: 646,
    });
  });

  it('rounds tax per line, so the lines with their own tax add up to the total', () => {
    const price = priceSession(eur, { energyWh: 12_345, seconds: 1_815 });
    const lines = [price.energy, price.time, price.sessionFee];
    const taxes = lines.map((net) => Number(taxAmount(BigInt(net), eur.taxRateBasisPoints)));
    expect(taxes).toEqual([82, 12, 10]);
    expect(taxes.reduce((a, b) => a + b, 0)).toBe(price.tax);
    expect(lines.reduce((a, b) => a + b, 0) + price.tax).toBe(price.total);
  });

  it('charges the session fee and its tax for an empty session', () => {
    expect(priceSession(eur, { energyWh: 0, seconds: 0 })).toEqual({
      energy: 0,
      time: 0,
      sessionFee: 50,
      tax: 10,
      total: 60,
    }); // tax 9.5 → 10
  });

  it('prices a JPY (zero-decimal) session in whole yen', () => {
    const jpy: PricingTariff = {
      currency: 'JPY',
      energyPricePerKwh: '55',
      timePricePerHour: '0',
      sessionFeeAmount: 100,
      taxRateBasisPoints: 1000,
    };
    // energy 12.345 kWh × 55 = 678.975 → 679; subtotal 779; tax 77.9 → 78
    expect(priceSession(jpy, { energyWh: 12_345, seconds: 5_000 })).toEqual({
      energy: 679,
      time: 0,
      sessionFee: 100,
      tax: 78,
      total: 857,
    });
    // half a yen rounds up
    expect(energyAmount(10, '50', 'JPY')).toBe(1n);
    expect(energyAmount(9, '50', 'JPY')).toBe(0n);
  });

  it('prices a KWD (three-decimal) session in fils', () => {
    const kwd: PricingTariff = {
      currency: 'KWD',
      energyPricePerKwh: '0.349',
      timePricePerHour: '0.6',
      sessionFeeAmount: 250,
      taxRateBasisPoints: 500,
    };
    // energy 4.308405 KWD → 4308; time 1815 s × 0.6/h = 0.3025 → 302.5 → 303; subtotal 4861; tax 5 % = 243.05 → 243
    expect(priceSession(kwd, { energyWh: 12_345, seconds: 1_815 })).toEqual({
      energy: 4_308,
      time: 303,
      sessionFee: 250,
      tax: 243,
      total: 5_104,
    });
  });

  it('rounds energy and time separately before adding them', () => {
    // 0.4 ct energy + 0.4 ct time would be 0.8 → 1 ct if summed first; per component both round to 0
    const tariff: PricingTariff = {
      currency: 'EUR',
      energyPricePerKwh: '0.4',
      timePricePerHour: '3.6',
      sessionFeeAmount: 0,
      taxRateBasisPoints: 0,
    };
    expect(priceSession(tariff, { energyWh: 10, seconds: 4 })).toEqual({
      energy: 0,
      time: 0,
      sessionFee: 0,
      tax: 0,
      total: 0,
    });
  });

  it('treats a lower-case currency code like its upper-case form', () => {
    const lower = { ...eur, currency: 'jpy' };
    expect(priceSession(lower, { energyWh: 10, seconds: 0 }).energy).toBe(0); // 0.349 × 0.01 kWh in whole yen
  });

  it('refuses impossible inputs instead of pricing them', () => {
    expect(() => priceSession(eur, { energyWh: -1, seconds: 0 })).toThrow(RangeError);
    expect(() => priceSession(eur, { energyWh: 1.5, seconds: 0 })).toThrow(RangeError);
    expect(() => priceSession(eur, { energyWh: 0, seconds: -1 })).toThrow(RangeError);
    expect(() => priceSession({ ...eur, sessionFeeAmount: -5 }, { energyWh: 0, seconds: 0 })).toThrow(RangeError);
    expect(() =>
      priceSession({ ...eur, energyPricePerKwh: '999999999999.999999' }, { energyWh: 2_000_000_000, seconds: 0 }),
    ).toThrow(RangeError);
  });
});
