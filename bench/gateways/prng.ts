/**
 * A small seeded PRNG (mulberry32): the varied workloads are drawn from it, so every target, and every run, gets
 * the identical request sequence (a target never wins by being sent easier requests).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform in [min, max), rounded to `decimals`. */
  between(min: number, max: number, decimals: number): number;
  pick<T>(items: readonly T[]): T;
}

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    between: (min, max, decimals) => Number((min + next() * (max - min)).toFixed(decimals)),
    pick: (items) => items[int(items.length)],
  };
}

/** A stable 32-bit seed from a name (FNV-1a), so each workload has a stream of its own. */
export function seedOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * `count` items from `draw`, none equal to the one before it (by `key`): each request differs from the previous
 * one, so even a single connection never repeats itself.
 */
export function sequence<T>(count: number, draw: () => T, key: (item: T) => string): T[] {
  const items: T[] = [];
  let previous: string | undefined;
  for (let attempts = 0; items.length < count; attempts++) {
    if (attempts > count * 20) throw new Error('sequence: cannot draw items that differ from the previous one');
    const item = draw();
    const k = key(item);
    if (k === previous) continue;
    items.push(item);
    previous = k;
  }
  return items;
}
