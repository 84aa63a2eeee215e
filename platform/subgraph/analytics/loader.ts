import DataLoader from 'dataloader';
import type { LoaderFactory, RequestContext } from '../context.js';
import { uuidsOnly } from '../../ids.js';

export interface AnalyticsKey<A> {
  /** The operator or station the figure is about. */
  id: string;
  /** The question (period, bucket, …): keys with equal `argsKey` are answered by one statement. */
  args: A;
}

/**
 * One SQL statement per question and request tick, for every operator or station of the response: a list of 50
 * operators with their revenue is one `… where operator_id = any($1) group by operator_id, …`, not 50 queries.
 */
export function analyticsLoader<A, R>(
  argsKey: (args: A) => string,
  query: (ctx: RequestContext, ids: string[], args: A) => Promise<Map<string, R>>,
  empty: (args: A) => R,
): LoaderFactory<AnalyticsKey<A>, R> {
  const cacheKey = (key: AnalyticsKey<A>) => `${argsKey(key.args)}|${key.id}`;
  return (ctx) =>
    new DataLoader<AnalyticsKey<A>, R, string>(
      async (keys) => {
        const groups = new Map<string, AnalyticsKey<A>[]>();
        for (const key of keys) {
          const group = argsKey(key.args);
          groups.set(group, [...(groups.get(group) ?? []), key]);
        }
        const answers = new Map<string, R>();
        for (const group of groups.values()) {
          const ids = uuidsOnly([...new Set(group.map((k) => k.id))]);
          const found = ids.length ? await query(ctx, ids, group[0].args) : new Map<string, R>();
          for (const key of group) answers.set(cacheKey(key), found.get(key.id) ?? empty(key.args));
        }
        return keys.map((key) => answers.get(cacheKey(key))!);
      },
      { cacheKeyFn: cacheKey },
    );
}

/** `sum()`/`count()` come back as bigint strings: exact integers or an error, never a rounded float. */
export function exactInteger(value: string | number | bigint | null | undefined): number {
  if (value == null) return 0;
  const big = BigInt(value);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`integer ${big} exceeds the safe range`);
  return Number(big);
}

/** A ratio, or null when there is nothing to divide by. */
export const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/**
 * A PostgreSQL array literal of uuids for one bind parameter (`any(?::uuid[])`): the query builder would expand a JS
 * array into a list. Only for ids that passed `uuidsOnly`, so nothing needs quoting.
 */
export const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;
