/**
 * What the IDE's result view sees in a GraphQL answer, without the DOM (unit-tested in test/ide/result-data.test.ts):
 * every list of objects as a table (for CSV/TSV), and the series a chart can draw (bucketed analytics over time,
 * rankings). Money is integer minor units in the API; here it becomes a decimal in its currency, the currency in a
 * column of its own.
 */
import type { ChartHint } from '../saved-queries.js';
import { Kind, parse, TypeInfo, visit, visitWithTypeInfo, getNamedType, type GraphQLSchema } from 'graphql';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

// Same table as platform/money.ts (Stripe's minor units), which the browser bundle cannot import.
const ZERO_DECIMAL = new Set('BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** How many minor digits an amount in this currency has (EUR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Integer minor units as an exact decimal string in the currency: 123456 EUR → "1234.56", 5000 JPY → "5000". */
export function minorToDecimal(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const units = String(Math.abs(Math.trunc(amount))).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${units}` : `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}`;
}

/**
 * Response paths (dotted, without list indexes) of the objects of type Money in an operation's answer, read from the
 * schema; undefined without a schema (then any `{ amount, currency }` object counts, see isMoney).
 */
export function moneyPaths(schema: GraphQLSchema | null | undefined, query: string): Set<string> | undefined {
  if (!schema) return undefined;
  let document;
  try {
    document = parse(query);
  } catch {
    return undefined;
  }
  const paths = new Set<string>();
  const stack: string[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          stack.push((node.alias ?? node.name).value);
          if (getNamedType(typeInfo.getType())?.name === 'Money') paths.add(stack.join('.'));
        },
        leave() {
          stack.pop();
        },
      },
      OperationDefinition: { enter: () => void (stack.length = 0) },
      [Kind.FRAGMENT_DEFINITION]: () => false, // fragments are not followed: the heuristic covers them
    }),
  );
  return paths;
}

export interface ListOccurrence {
  /** Scalars of the objects around the list (full dotted paths): the operator's name for its revenue rows. */
  context: Record<string, Json>;
  items: JsonObject[];
}

export interface ResultList {
  /** Dotted path without indexes, e.g. `operators.edges.node.energy`. */
  path: string;
  occurrences: ListOccurrence[];
}

/** Every list of objects in the answer, outermost first, each with all its occurrences (one per parent object). */
export function findLists(data: Json): ResultList[] {
  const lists = new Map<string, ResultList>();
  const walkValue = (value: Json, path: string, context: Record<string, Json>) => {
    if (Array.isArray(value)) {
      const items = value.filter(isObject);
      if (items.length) {
        const list = lists.get(path) ?? { path, occurrences: [] };
        lists.set(path, list);
        list.occurrences.push({ context, items });
      }
      for (const item of value) walkValue(item, path, context);
    } else if (isObject(value)) {
      const inner = { ...context, ...scalars(value, path) };
      walkChildren(value, path, inner);
    }
  };
  const walkChildren = (object: JsonObject, path: string, context: Record<string, Json>) => {
    for (const [key, child] of Object.entries(object)) {
      if (Array.isArray(child)) walkValue(child, join(path, key), context);
      else if (isObject(child)) walkChildren(child, join(path, key), context);
    }
  };
  walkValue(data, '', {});
  return [...lists.values()];
}

/** The scalars of an object and of the objects inside it (not inside its lists), by full dotted path. */
function scalars(object: JsonObject, path: string, into: Record<string, Json> = {}): Record<string, Json> {
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value)) continue;
    if (isObject(value)) scalars(value, join(path, key), into);
    else into[join(path, key)] = value;
  }
  return into;
}

export interface Table {
  /** The list's path, e.g. `operators.edges.node.energy`. */
  path: string;
  columns: string[];
  rows: Array<Array<string | number | boolean | null>>;
}

/**
 * A list as a table: one row per item, with the scalars of its parents first (which operator a revenue row belongs
 * to), column names from the field paths. Money amounts become decimals in their currency; the currency gets its own
 * column when the answer did not select it next to the amount.
 */
export function toTable(list: ResultList, money?: Set<string>): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  const add = (column: string) => {
    if (!seen.has(column)) {
      seen.add(column);
      columns.push(column);
    }
  };
  const records = list.occurrences.flatMap((occurrence) =>
    occurrence.items.map((item) => convertMoney({ ...occurrence.context, ...scalars(item, list.path) }, money)),
  );
  for (const record of records) for (const column of Object.keys(record)) add(column);
  return {
    path: list.path,
    columns,
    rows: records.map((record) =>
      columns.map((column) => {
        const value = record[column];
        return value === undefined || isObject(value) || Array.isArray(value) ? null : value;
      }),
    ),
  };
}

/** Is `parent` (the path of an object holding `amount`) money? By the schema when known, else by its shape. */
function isMoney(parent: string, record: Record<string, Json>, money?: Set<string>): boolean {
  if (money) return money.has(parent);
  return typeof record[`${parent}.amount`] === 'number' && currencyOf(parent, record) !== undefined;
}

/** The currency of the money at `parent`: its own, else the nearest `currency` around it (a revenue row's). */
function currencyOf(parent: string, record: Record<string, Json>): string | undefined {
  const own = record[`${parent}.currency`];
  if (typeof own === 'string') return own;
  let best: string | undefined;
  let bestLength = -1;
  for (const [column, value] of Object.entries(record)) {
    if (!column.endsWith('currency') || typeof value !== 'string') continue;
    const scope = column.slice(0, -'currency'.length).replace(/\.$/, '');
    if ((scope === '' || parent.startsWith(`${scope}.`)) && scope.length > bestLength) {
      best = value;
      bestLength = scope.length;
    }
  }
  return best;
}

function convertMoney(record: Record<string, Json>, money?: Set<string>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [column, value] of Object.entries(record)) {
    out[column] = value;
    if (!column.endsWith('.amount') || typeof value !== 'number') continue;
    const parent = column.slice(0, -'.amount'.length);
    if (!isMoney(parent, record, money)) continue;
    const currency = currencyOf(parent, record);
    if (!currency) continue;
    out[column] = minorToDecimal(value, currency);
    out[`${parent}.currency`] = currency;
  }
  return out;
}

const csvCell = (value: string | number | boolean | null) => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** RFC 4180: comma-separated, quoted where needed, CRLF line ends. */
export const toCsv = (table: Table): string =>
  [table.columns, ...table.rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';

/** Tab-separated for pasting into a spreadsheet: tabs and line breaks inside values become spaces. */
export const toTsv = (table: Table): string =>
  [table.columns, ...table.rows]
    .map((row) => row.map((v) => (v === null ? '' : String(v).replace(/[\t\r\n]+/g, ' '))).join('\t'))
    .join('\n') + '\n';

// ---- Charts ------------------------------------------------------------------------------------------------------

export type { ChartHint };

export interface ChartSeries {
  label: string;
  /** The currency of a money series (each currency gets its own axis). */
  unit?: string;
  /** One value per x; null where the series has none. */
  values: Array<number | null>;
}

export interface ChartData {
  kind: 'line' | 'bar';
  /** The list drawn, e.g. `operator.revenueReport`. */
  list: string;
  /** The value drawn, relative to a list item, e.g. `gross.amount`. */
  measure: string;
  /** Buckets (ISO dates) for a line over time, names for a ranking. */
  x: string[];
  /** A series over `bucket` dates (else a ranking of the rows). */
  overTime: boolean;
  series: ChartSeries[];
  /** The values other measures the view may switch to. */
  measures: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}/;
const toNumber = (value: Json | undefined): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
};

/** The name that says whose row it is: the nearest `…name` column (the station's, the operator's). */
function labelOf(record: Record<string, Json>, fallback: string): string {
  let best: string | undefined;
  let depth = -1;
  for (const [column, value] of Object.entries(record)) {
    if ((column === 'name' || column.endsWith('.name')) && typeof value === 'string') {
      const d = column.split('.').length;
      if (d > depth) {
        best = value;
        depth = d;
      }
    }
  }
  return best ?? fallback;
}

/**
 * The chart an answer holds, if any: the innermost list with numbers (or the one holding the hinted measure).
 * A list with `bucket` dates is a series over time (a line per owner and currency); any other is a ranking (bars,
 * one per row, one series per currency). Money is drawn in decimal units of its currency.
 */
export function detectChart(data: Json, hint?: ChartHint, money?: Set<string>): ChartData | undefined {
  const candidates = findLists(data)
    .map((list) => {
      const records = list.occurrences.flatMap((o) =>
        o.items.map((item) => ({ context: o.context, own: scalars(item, list.path) })),
      );
      const relative = (column: string) => column.slice(list.path.length + 1);
      const measures = [
        ...new Set(
          records.flatMap(({ own }) =>
            Object.entries(own)
              .filter(([column, value]) => toNumber(value) !== undefined && !relative(column).endsWith('bucket'))
              .map(([column]) => relative(column)),
          ),
        ),
      ];
      return { list, records, measures };
    })
    .filter((c) => c.measures.length > 0);
  const chosen = hint
    ? candidates.find((c) => c.measures.includes(hint.measure))
    : [...candidates].sort((a, b) => b.list.path.split('.').length - a.list.path.split('.').length)[0];
  if (!chosen) return undefined;
  const { list, records, measures } = chosen;
  const measure = hint && measures.includes(hint.measure) ? hint.measure : defaultMeasure(measures);
  return chartOf(list.path, records, measure, measures, hint?.kind, money);
}

/** Money first (what analysts ask about), else the first number. */
const defaultMeasure = (measures: string[]) => measures.find((m) => m.endsWith('.amount')) ?? measures[0];

/** The chart of one list for one measure (the view calls it again when the analyst picks another measure). */
export function chartOf(
  path: string,
  records: Array<{ context: Record<string, Json>; own: Record<string, Json> }>,
  measure: string,
  measures: string[],
  kind?: 'line' | 'bar',
  money?: Set<string>,
): ChartData {
  const column = join(path, measure);
  const parent = column.endsWith('.amount') ? column.slice(0, -'.amount'.length) : undefined;
  const points = records.map(({ context, own }, index) => {
    const record = { ...context, ...own };
    const raw = toNumber(own[column]);
    const currency = parent && isMoney(parent, record, money) ? currencyOf(parent, record) : undefined;
    const value = raw === undefined ? null : currency ? Number(minorToDecimal(raw, currency)) : raw;
    const bucket = own[join(path, 'bucket')];
    return {
      bucket: typeof bucket === 'string' && DATE.test(bucket) ? bucket : undefined,
      owner: labelOf(record, `#${index + 1}`),
      currency,
      value,
    };
  });
  const overTime = points.some((p) => p.bucket);
  const owners = new Set(points.map((p) => p.owner));
  const x = overTime
    ? [...new Set(points.flatMap((p) => (p.bucket ? [p.bucket] : [])))].sort()
    : [...new Set(points.map((p) => p.owner))];
  const seriesKey = (p: (typeof points)[number]) =>
    overTime
      ? [owners.size > 1 || !p.currency ? p.owner : undefined, p.currency].filter(Boolean).join(' · ')
      : (p.currency ?? measure);
  const series = new Map<string, Array<number | null>>();
  const units = new Map<string, string | undefined>();
  for (const point of points) {
    const at = x.indexOf(overTime ? (point.bucket ?? '') : point.owner);
    if (at === -1) continue;
    const key = seriesKey(point);
    const values = series.get(key) ?? x.map(() => null);
    series.set(key, values);
    units.set(key, point.currency);
    values[at] = point.value === null ? values[at] : (values[at] ?? 0) + point.value;
  }
  return {
    kind: kind ?? (overTime ? 'line' : 'bar'),
    list: path,
    measure,
    x,
    overTime,
    series: [...series].map(([label, values]) => ({
      label,
      values,
      ...(units.get(label) ? { unit: units.get(label) } : {}),
    })),
    measures,
  };
}
