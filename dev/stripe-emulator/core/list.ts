import { invalidParam, resourceMissing } from './errors.js';
import type { JsonObject } from './json.js';
import type { ParamReader } from './params.js';

export type ListObject = { object: 'list'; data: JsonObject[]; has_more: boolean; url: string };

const CREATED_BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;

/** `created=<ts>` or `created[gt|gte|lt|lte]=<ts>`. */
function createdFilter(params: ParamReader): (created: number) => boolean {
  if (!params.has('created')) return () => true;
  if (typeof params.raw('created') === 'string') {
    const exact = params.integer('created');
    return (created) => created === exact;
  }
  const range = params.child('created');
  if (!range) return () => true;
  const bounds = CREATED_BOUNDS.map((op) => [op, range.integer(op)] as const);
  return (created) =>
    bounds.every(([op, bound]) => {
      if (bound === undefined) return true;
      if (op === 'gt') return created > bound;
      if (op === 'gte') return created >= bound;
      if (op === 'lt') return created < bound;
      return created <= bound;
    });
}

/**
 * A Stripe list page over `items` (newest first): `limit` (1–100, default 10), `starting_after`,
 * `ending_before` and the `created` filter, rendered with `render`.
 */
export function paginate<T extends { id: string; created: number }>(
  items: readonly T[],
  params: ParamReader,
  url: string,
  render: (item: T) => JsonObject,
): ListObject {
  const limit = params.integer('limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidParam('limit', 'Invalid limit: must be between 1 and 100');
  const filter = createdFilter(params);
  let candidates = items.filter((item) => filter(item.created));
  const startingAfter = params.string('starting_after');
  const endingBefore = params.string('ending_before');
  let data: T[];
  let hasMore: boolean;
  if (endingBefore !== undefined) {
    const index = candidates.findIndex((item) => item.id === endingBefore);
    if (index < 0) throw resourceMissing('object', endingBefore, 'ending_before', 400);
    candidates = candidates.slice(0, index);
    data = candidates.slice(Math.max(0, candidates.length - limit));
    hasMore = candidates.length > limit;
  } else {
    if (startingAfter !== undefined) {
      const index = candidates.findIndex((item) => item.id === startingAfter);
      if (index < 0) throw resourceMissing('object', startingAfter, 'starting_after', 400);
      candidates = candidates.slice(index + 1);
    }
    data = candidates.slice(0, limit);
    hasMore = candidates.length > limit;
  }
  return { object: 'list', data: data.map(render), has_more: hasMore, url };
}
