import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext } from '@apollo/server';
import type { GatewayContext } from './context.js';
import type { SharedResponseCache } from './response-cache.js';

/** Whatever a CDN, a browser or the gateway may not keep: personal data, writes, POSTs, errors. */
const NOT_SHARED = 'private, no-store';

/**
 * HTTP caching of the public catalogue. Each subgraph answers with a Cache-Control header from its fields'
 * `@cacheControl` hints; the gateway's data sources fold them into the operation's policy (the least max-age, PRIVATE
 * if any part is). This plugin turns that policy into the response's Cache-Control, and serves and stores the shared
 * cache:
 * - `public, max-age=N` only for a GET of a query by an anonymous caller whose whole answer is PUBLIC with N > 0 and
 *   has no errors; every other response is `private, no-store` (Apollo's own header is off: it knows no callers);
 * - `Vary: Authorization`, so a CDN never hands a stored public answer to a request that carries a token;
 * - only those same public answers enter the shared cache, and only anonymous GETs are served from it, with the
 *   max-age that is left.
 */
export function httpCaching(cache: SharedResponseCache | undefined): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let key: string | undefined;
      let servedMaxAge: number | undefined;
      return {
        async responseForOperation(requestContext) {
          if (!cache || !isAnonymousQueryByGet(requestContext)) return null;
          key = cacheKey(requestContext);
          const cached = cache.get(key);
          if (!cached) return null;
          servedMaxAge = cached.maxAgeSeconds;
          return { http: { headers: new HeaderMap() }, body: { kind: 'single', singleResult: cached.result } };
        },
        async willSendResponse(requestContext) {
          const { headers } = requestContext.response.http;
          const vary = headers.get('vary');
          headers.set('vary', vary ? `${vary}, Authorization` : 'Authorization');
          const maxAge = servedMaxAge ?? publicMaxAge(requestContext);
          if (maxAge === undefined) {
            headers.set('cache-control', NOT_SHARED);
            return;
          }
          headers.set('cache-control', `public, max-age=${maxAge}`);
          const { body } = requestContext.response;
          if (servedMaxAge === undefined && cache && key && body.kind === 'single')
            cache.set(key, body.singleResult, maxAge);
        },
      };
    },
  };
}

/** A query sent by GET without any credential: the only kind a shared cache may answer or keep. */
function isAnonymousQueryByGet(requestContext: GraphQLRequestContext<GatewayContext>): boolean {
  const { http } = requestContext.request;
  const { identity } = requestContext.contextValue;
  return (
    http?.method === 'GET' &&
    !http.headers.get('authorization') &&
    identity.role === undefined &&
    identity.sub === undefined &&
    requestContext.operation?.operation === 'query'
  );
}

/** The max-age a shared cache may keep this response, or undefined when it may not keep it at all. */
function publicMaxAge(requestContext: GraphQLRequestContext<GatewayContext>): number | undefined {
  if (!isAnonymousQueryByGet(requestContext)) return undefined;
  const { body } = requestContext.response;
  if (!body || body.kind !== 'single' || body.singleResult.errors?.length) return undefined;
  const policy = requestContext.overallCachePolicy.policyIfCacheable();
  if (!policy || policy.scope !== 'PUBLIC' || policy.maxAge <= 0) return undefined;
  return policy.maxAge;
}

/** The document (by hash), the operation picked from it and its variables, in a canonical order. */
function cacheKey(requestContext: GraphQLRequestContext<GatewayContext>): string {
  const { queryHash, request } = requestContext;
  const variables = canonicalJson(request.variables ?? {});
  return createHash('sha256')
    .update(`${queryHash ?? ''}\u0000${request.operationName ?? ''}\u0000${variables}`)
    .digest('hex');
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` name the same answer. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
