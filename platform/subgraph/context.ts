import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Identity } from '../identity.js';
import type { EntityClient } from '../entity-client.js';

export type LoaderFactory<K, V> = (ctx: RequestContext) => DataLoader<K, V>;

/** Everything one GraphQL request may use: its own EntityManager, the caller, per-request batch loaders. */
export class RequestContext {
  private readonly loaders = new Map<LoaderFactory<unknown, unknown>, DataLoader<unknown, unknown>>();

  constructor(
    readonly em: EntityManager,
    readonly identity: Identity,
    readonly logger: Logger,
    readonly services: EntityClient,
  ) {}

  /** The request's instance of a loader: one per factory, so calls in one request batch together. */
  loader<K, V>(factory: LoaderFactory<K, V>): DataLoader<K, V> {
    let loader = this.loaders.get(factory as LoaderFactory<unknown, unknown>);
    if (!loader) {
      loader = factory(this) as DataLoader<unknown, unknown>;
      this.loaders.set(factory as LoaderFactory<unknown, unknown>, loader);
    }
    return loader as DataLoader<K, V>;
  }
}

/** Batches lookups by id into one `WHERE id IN (…)` per request tick. */
export function byId<T extends { id: string }>(
  find: (ctx: RequestContext, ids: string[]) => Promise<T[]>,
): LoaderFactory<string, T | null> {
  return (ctx) =>
    new DataLoader<string, T | null>(async (ids) => {
      const rows = await find(ctx, [...ids]);
      const found = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => found.get(id) ?? null);
    });
}

/** Batches one-to-many lookups (children by parent id) into one query per request tick. */
export function groupedBy<T>(
  find: (ctx: RequestContext, keys: string[]) => Promise<T[]>,
  keyOf: (row: T) => string,
): LoaderFactory<string, T[]> {
  return (ctx) =>
    new DataLoader<string, T[]>(async (keys) => {
      const rows = await find(ctx, [...keys]);
      const groups = new Map<string, T[]>();
      for (const row of rows) {
        const key = keyOf(row);
        groups.set(key, [...(groups.get(key) ?? []), row]);
      }
      return keys.map((key) => groups.get(key) ?? []);
    });
}
