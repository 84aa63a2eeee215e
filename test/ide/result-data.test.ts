/** The result view's logic without a browser: lists as tables, money as decimals, series for charts. */
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  detectChart,
  findLists,
  minorDigits,
  minorToDecimal,
  moneyPaths,
  toCsv,
  toTable,
  toTsv,
  type Json,
} from '../../gateway/ide/client/result-data.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { minorDigits as serverMinorDigits } from '../../platform/money.js';
import { TEST_ENERGY, TEST_REVENUE_BUCKETS } from './support.js';

const schema = buildSchema(`
  type Money { amount: Int! currency: String! }
  type RevenueBucket { bucket: String currency: String! gross: Money! applicationFees: Money! refunded: Money! net: Money! paymentCount: Int! }
  type EnergyStats { bucket: String sessionCount: Int! energyKwh: Float! averageDurationMinutes: Float }
  input AnalyticsPeriod { from: String! to: String! }
  enum AnalyticsBucket { DAY WEEK MONTH }
  type Operator { id: ID! name: String! revenueReport(period: AnalyticsPeriod!, bucket: AnalyticsBucket): [RevenueBucket!] energy(period: AnalyticsPeriod!, bucket: AnalyticsBucket): [EnergyStats!] }
  type OperatorEdge { node: Operator! }
  type OperatorConnection { edges: [OperatorEdge!]! }
  type Query { operator(id: ID!): Operator operators(first: Int): OperatorConnection! }
`);
const saved = (id: string) => {
  const query = savedQueries.find((q) => q.id === id);
  if (!query) throw new Error(`no saved query ${id}`);
  return query;
};
const operator = { id: 'op-1', name: 'Volta' };
// As the saved query selects it (no `refunded`).
const revenueByDay = {
  operator: { ...operator, revenueReport: TEST_REVENUE_BUCKETS.map(({ refunded: _r, ...row }) => row) },
} as Json;

describe('money', () => {
  it('turns minor units into decimals by the currency exponent, as the server counts them', () => {
    expect(minorToDecimal(123456, 'EUR')).toBe('1234.56');
    expect(minorToDecimal(5, 'EUR')).toBe('0.05');
    expect(minorToDecimal(-250, 'USD')).toBe('-2.50');
    expect(minorToDecimal(5000, 'JPY')).toBe('5000');
    expect(minorToDecimal(1234, 'KWD')).toBe('1.234');
    for (const currency of Intl.supportedValuesOf('currency'))
      expect(minorDigits(currency), currency).toBe(serverMinorDigits(currency));
  });
});

describe('tables', () => {
  it('exports a bucketed revenue list: parents first, decimals, the currency in its own column', () => {
    const [list] = findLists(revenueByDay);
    const table = toTable(list, moneyPaths(schema, saved('revenue-by-day').query));
    expect(table.columns).toEqual([
      'operator.id',
      'operator.name',
      'operator.revenueReport.bucket',
      'operator.revenueReport.currency',
      'operator.revenueReport.gross.amount',
      'operator.revenueReport.gross.currency',
      'operator.revenueReport.applicationFees.amount',
      'operator.revenueReport.applicationFees.currency',
      'operator.revenueReport.net.amount',
      'operator.revenueReport.net.currency',
      'operator.revenueReport.paymentCount',
    ]);
    expect(table.rows[0]).toEqual([
      'op-1',
      'Volta',
      '2026-10-01',
      'EUR',
      '123.45',
      'EUR',
      '6.17',
      'EUR',
      '117.28',
      'EUR',
      3,
    ]);
    expect(table.rows[1].slice(3, 6)).toEqual(['JPY', '5000', 'JPY']);
    // Without a schema the shape decides: an `amount` with a currency in reach is money.
    expect(toTable(list).rows[0]).toEqual(table.rows[0]);
  });

  it('writes RFC 4180 CSV and spreadsheet TSV', () => {
    const table = { path: 'x', columns: ['name', 'note', 'n'], rows: [['A, "B"', 'two\nlines', 1.5]] };
    expect(toCsv(table)).toBe('name,note,n\r\n"A, ""B""","two\nlines",1.5\r\n');
    expect(toTsv(table)).toBe('name\tnote\tn\nA, "B"\ttwo lines\t1.5\n');
  });
});

describe('charts', () => {
  it('draws bucketed revenue as lines over time, one series per currency, in decimal units', () => {
    const chart = detectChart(
      revenueByDay,
      saved('revenue-by-day').chart,
      moneyPaths(schema, saved('revenue-by-day').query),
    );
    expect(chart).toMatchObject({
      kind: 'line',
      list: 'operator.revenueReport',
      measure: 'gross.amount',
      x: ['2026-10-01', '2026-10-02', '2026-10-03'],
      series: [
        { label: 'EUR', values: [123.45, 67.89, 1] },
        { label: 'JPY', values: [5000, null, 12000] },
      ],
    });
    expect(chart?.measures).toEqual(expect.arrayContaining(['net.amount', 'paymentCount']));
  });

  it('draws a line per operator for energy per week, and rankings as bars', () => {
    const data = {
      operators: {
        edges: [
          { node: { ...operator, energy: TEST_ENERGY } },
          { node: { id: 'op-2', name: 'Sakura', energy: [{ ...TEST_ENERGY[1], energyKwh: 10 }] } },
        ],
      },
    } as Json;
    expect(detectChart(data, saved('energy-per-operator').chart)).toMatchObject({
      kind: 'line',
      x: ['2026-09-28', '2026-10-05'],
      series: [
        { label: 'Volta', values: [120.25, 181.25] },
        { label: 'Sakura', values: [null, 10] },
      ],
    });
    const ranking = {
      operators: {
        edges: [
          {
            node: {
              ...operator,
              revenueReport: [TEST_REVENUE_BUCKETS[0], TEST_REVENUE_BUCKETS[1]].map(({ bucket: _b, ...r }) => r),
            },
          },
          { node: { id: 'op-2', name: 'Sakura', revenueReport: [{ ...TEST_REVENUE_BUCKETS[1], bucket: undefined }] } },
        ],
      },
    } as Json;
    expect(detectChart(ranking, saved('revenue-per-operator').chart)).toMatchObject({
      kind: 'bar',
      x: ['Volta', 'Sakura'],
      series: [
        { label: 'EUR', values: [117.28, null] },
        { label: 'JPY', values: [4750, 4750] },
      ],
    });
  });

  it('finds no chart where there are no numbers in a list', () => {
    expect(detectChart({ stations: { edges: [{ node: { id: 's', name: 'S' } }] } })).toBeUndefined();
  });
});
