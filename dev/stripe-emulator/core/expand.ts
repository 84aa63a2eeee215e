import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './json.js';

/** Stripe's limit on expansion depth. */
const MAX_DEPTH = 4;

export type Resolver = (id: string) => JsonObject | undefined;

function expandPath(target: JsonValue, segments: readonly string[], resolve: Resolver): void {
  if (!isJsonObject(target) || segments.length === 0) return;
  const [head, ...rest] = segments;
  // `data.x` applies to every item of a list.
  if (head === 'data' && target.object === 'list' && Array.isArray(target.data)) {
    for (const item of target.data) expandPath(item, rest, resolve);
    return;
  }
  const value = target[head];
  if (typeof value === 'string') {
    const resolved = resolve(value);
    if (!resolved) return;
    const copy = cloneJson(resolved);
    target[head] = copy;
    expandPath(copy, rest, resolve);
  } else if (value !== undefined) {
    expandPath(value, rest, resolve);
  }
}

/**
 * Replaces id fields named by `expand[]` (`latest_charge`, `data.payment_method`,
 * `latest_charge.balance_transaction`) with the objects, in place. Paths that name no
 * expandable id are left alone.
 */
export function expandFields(body: JsonObject, paths: readonly string[], resolve: Resolver): void {
  for (const path of paths) expandPath(body, path.split('.').slice(0, MAX_DEPTH), resolve);
}
