import { LRUCache } from 'lru-cache';
import type { FormattedExecutionResult } from 'graphql';

export interface SharedResponseCacheOptions {
  /** Memory bound, in characters of the answers' JSON. */
  maxBytes: number;
  /** Milliseconds on a monotonic clock (tests move it by hand). */
  now?: () => number;
}

/** A stored answer and how long it stays fresh from now. */
export interface SharedAnswer {
  result: FormattedExecutionResult;
  /** Whole seconds left of its max-age (≥ 1): what a CDN or browser may still add on top. */
  maxAgeSeconds: number;
}

interface Entry {
  result: FormattedExecutionResult;
  expiresAt: number;
}

/**
 * The gateway's short shared cache of public answers to anonymous queries, one per replica. An answer lives exactly
 * as long as the least max-age of the fields it holds (a connector's status: 10 s), counted from when it was
 * stored, and whatever serves it downstream gets only the time left: data is never older than its hint, however
 * many caches sit between. Bounded by memory, least recently used out first. It knows nothing of callers: the
 * plugin in http-caching.ts decides what may enter.
 */
export class SharedResponseCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly now: () => number;

  constructor({ maxBytes, now = () => performance.now() }: SharedResponseCacheOptions) {
    this.now = now;
    this.entries = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      // An answer larger than an eighth of the cache would push out too much else.
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 8)),
      sizeCalculation: (entry) => Math.max(1, JSON.stringify(entry.result).length),
    });
  }

  get(key: string): SharedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const maxAgeSeconds = Math.floor((entry.expiresAt - this.now()) / 1000);
    if (maxAgeSeconds < 1) {
      this.entries.delete(key);
      return undefined;
    }
    return { result: entry.result, maxAgeSeconds };
  }

  set(key: string, result: FormattedExecutionResult, maxAgeSeconds: number): void {
    this.entries.set(key, { result, expiresAt: this.now() + maxAgeSeconds * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
