import { GraphQLScalarType, Kind } from 'graphql';
import { Field, InputType, registerEnumType } from 'type-graphql';
import { badInput } from '../../errors.js';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date written YYYY-MM-DD (2026-02-30 is not). */
export const isLocalDate = (value: string) =>
  LOCAL_DATE.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

/**
 * `YYYY-MM-DD`, a calendar date with no time zone: analytics periods and bucket labels. Input strings are checked
 * by the resolvers (`checkPeriod`), not while parsing: a parse error inside a subgraph reaches clients through the
 * gateway as an internal error, a resolver's check as BAD_USER_INPUT naming the field.
 */
export const LocalDate = new GraphQLScalarType<string, string>({
  name: 'LocalDate',
  description: 'A calendar date without a time zone, written YYYY-MM-DD, e.g. 2026-10-01.',
  serialize: (value) => {
    if (typeof value !== 'string' || !isLocalDate(value))
      throw new TypeError(`LocalDate cannot represent ${String(value)}`);
    return value;
  },
  parseValue: (value) => {
    if (typeof value !== 'string') throw new TypeError('LocalDate is a string like 2026-10-01.');
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('LocalDate is a string like 2026-10-01.');
    return ast.value;
  },
});

/** The longest period one analytics question may cover (a leap year). */
export const MAX_PERIOD_DAYS = 366;

export enum AnalyticsBucket {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(AnalyticsBucket, {
  name: 'AnalyticsBucket',
  description: "Calendar buckets in the station's local time: DAY, WEEK (ISO weeks, starting on Monday) or MONTH.",
});

@InputType('AnalyticsPeriod', {
  description:
    "Local calendar dates [from, to): a session or payment counts on the date its station's clock showed (the station's own time zone). " +
    'October 2026 is { from: "2026-10-01", to: "2026-11-01" }. At most 366 days.',
})
export class AnalyticsPeriod {
  @Field(() => LocalDate, { description: 'First local date of the period (included).' })
  from!: string;

  @Field(() => LocalDate, { description: 'Local date after the period (excluded).' })
  to!: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** A checked period; `lo`/`hi` are instants that surely contain every local time of it, whatever the time zone. */
export interface Period {
  from: string;
  to: string;
  /** from − 1 day, as an instant: local midnight of `from` is at most 14 hours before UTC midnight (UTC+14). */
  lo: Date;
  /** to + 1 day, as an instant: local midnight of `to` is at most 12 hours after UTC midnight (UTC−12). */
  hi: Date;
}

/** Checks a period (from before to, at most 366 days) and adds the instants that pre-filter it on an index. */
export function checkPeriod(period: AnalyticsPeriod): Period {
  for (const field of ['from', 'to'] as const) {
    if (!isLocalDate(period[field]))
      throw badInput(`period.${field} must be a calendar date written YYYY-MM-DD, e.g. 2026-10-01.`, `period.${field}`);
  }
  const from = Date.parse(`${period.from}T00:00:00Z`);
  const to = Date.parse(`${period.to}T00:00:00Z`);
  if (!(from < to)) throw badInput("The period's `from` must be before its `to` (which is excluded).", 'period');
  if (to - from > MAX_PERIOD_DAYS * DAY_MS)
    throw badInput(`A period may cover at most ${MAX_PERIOD_DAYS} days.`, 'period');
  return { from: period.from, to: period.to, lo: new Date(from - DAY_MS), hi: new Date(to + DAY_MS) };
}

const TRUNC_UNITS: Record<AnalyticsBucket, 'day' | 'week' | 'month'> = {
  [AnalyticsBucket.DAY]: 'day',
  [AnalyticsBucket.WEEK]: 'week',
  [AnalyticsBucket.MONTH]: 'month',
};

/** The PostgreSQL `date_trunc` unit of a bucket (a fixed word, never client text). */
export const truncUnit = (bucket: AnalyticsBucket): 'day' | 'week' | 'month' => TRUNC_UNITS[bucket];

/** A key that tells periods (and buckets) apart in a batch. */
export const periodKey = (period: Period, bucket?: AnalyticsBucket | null) =>
  `${period.from}|${period.to}|${bucket ?? ''}`;
