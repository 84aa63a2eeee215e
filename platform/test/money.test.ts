import { describe, expect, it } from 'vitest';
import { basisPointsOf, exactInteger, isMinorUnits, proportionOf, roundHalfUp, toSafeNumber } from '../money.js';

describe('roundHalfUp', () => {
  it.each([
    [0n, 7n, 0n],
    [4n, 10n, 0n],
    [5n, 10n, 1n],
    [14n, 10n, 1n],
    [15n, 10n, 2n],
    [20n, 10n, 2n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
  ])('%i / %i → %i', (numerator, denominator, expected) => {
    expect(roundHalfUp(numerator, denominator)).toBe(expected);
  });

  it('refuses negative numerators and non-positive denominators', () => {
    expect(() => roundHalfUp(-1n, 2n)).toThrow(RangeError);
    expect(() => roundHalfUp(1n, 0n)).toThrow(RangeError);
  });
});

describe('basisPointsOf and proportionOf', () => {
  it('round half up on whole minor units', () => {
    expect(basisPointsOf(1_005, 150)).toBe(15); // 15.075
    expect(basisPointsOf(1_000, 150)).toBe(15);
    expect(basisPointsOf(1_010, 150)).toBe(15); // 15.15
    expect(basisPointsOf(1_034, 150)).toBe(16); // 15.51
    expect(basisPointsOf(100, 50)).toBe(1); // 0.5 → 1
    expect(proportionOf(101, 1, 2)).toBe(51); // 50.5 → 51
    expect(proportionOf(100, 1, 3)).toBe(33);
    expect(proportionOf(100, 0, 0)).toBe(0);
  });

  it('stay exact where a float would not (amount × basis points above 2^53)', () => {
    expect(basisPointsOf(Number.MAX_SAFE_INTEGER, 10_000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(proportionOf(Number.MAX_SAFE_INTEGER, 3, 3)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuse what is not a non-negative integer', () => {
    expect(() => basisPointsOf(1.5, 100)).toThrow(RangeError);
    expect(() => basisPointsOf(-1, 100)).toThrow(RangeError);
    expect(() => proportionOf(10, 1, -2)).toThrow(RangeError);
  });
});

describe('integer checks', () => {
  it('isMinorUnits accepts only non-negative safe integers', () => {
    expect([0, 1, Number.MAX_SAFE_INTEGER].map(isMinorUnits)).toEqual([true, true, true]);
    expect([-1, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1].map(isMinorUnits)).toEqual([false, false, false, false]);
  });

  it('exactInteger reads PostgreSQL bigint strings exactly or refuses them', () => {
    expect(exactInteger('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(exactInteger(null)).toBe(0);
    expect(() => exactInteger('9007199254740993')).toThrow(RangeError);
    expect(() => toSafeNumber(-(2n ** 60n))).toThrow(RangeError);
  });
});
