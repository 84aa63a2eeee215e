/*
 * Cache hints (`@cacheControl`) as Apollo Server's cache-control plugin reads them. Each subgraph answers with a
 * Cache-Control header computed from the hints of the fields it resolved (no hint on a root field or on a field
 * returning an object = max-age 0, not cacheable); the gateway combines its subgraphs' headers into the response's
 * policy (gateway/http-caching.ts). The directive is not composed into the supergraph: it only shapes each
 * subgraph's own header.
 */
import type { GraphQLResolveInfo } from 'graphql';

/** Declares the directive and its scope enum in every subgraph's SDL (kept out of the public API: @inaccessible). */
export const CACHE_CONTROL_SDL = `
enum CacheControlScope @inaccessible {
  PUBLIC
  PRIVATE
}
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
`;

/** A hint for data that any caller may be served from a shared cache (CDN, gateway) for `maxAge` seconds. */
export const publicFor = (maxAgeSeconds: number): string => `@cacheControl(maxAge: ${maxAgeSeconds}, scope: PUBLIC)`;

/**
 * For types shared by public and personal data (pages, money): a field returning one is as cacheable as its parent,
 * no more (without it, such a field would count as max-age 0 and make every catalogue page uncacheable).
 */
export const INHERIT_MAX_AGE = '@cacheControl(inheritMaxAge: true)';

/** Data shown only to some callers: never stored by a shared cache, whatever else the response holds. */
export const PRIVATE_DATA = '@cacheControl(maxAge: 0, scope: PRIVATE)';

/** What Apollo Server's cache-control plugin adds to `info` while it runs (absent when graphql runs without it). */
interface CacheControlInfo {
  cacheControl?: { cacheHint: { restrict(hint: { maxAge?: number }): void } };
}

/** Lowers the hint of the field being resolved, for an answer that depends on fresher data than its type says. */
export function restrictCacheHint(info: GraphQLResolveInfo, maxAgeSeconds: number): void {
  (info as GraphQLResolveInfo & CacheControlInfo).cacheControl?.cacheHint.restrict({ maxAge: maxAgeSeconds });
}
