import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { createErrorFormatter, ErrorCode } from '../platform/errors.js';
import { hideSuggestions } from './hardening.js';
import { SubgraphUnreachableError } from './subgraph-client.js';

/** What a client sees where one of our subgraphs did not answer (one error per field it was to fill). */
export const UPSTREAM_UNAVAILABLE = {
  message: 'Part of the platform did not answer in time; the rest of the result is complete. Try again shortly.',
  extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
};

/**
 * The gateway's error policy: subgraph errors keep their stable code and client message, but never name the
 * subgraph (`serviceName`); a subgraph that is down or too slow becomes UPSTREAM_UNAVAILABLE on its part of the
 * result while the rest is answered.
 */
export function createGatewayErrorFormatter(logger: Logger, { production }: { production: boolean }) {
  const format = createErrorFormatter(logger);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isUnreachable(original)) {
      // The data sources turn these into one error per nulled field; this is the fallback for any other call.
      logger.warn({ err: original, path: formatted.path }, 'subgraph unreachable');
      return { ...UPSTREAM_UNAVAILABLE, path: formatted.path };
    }
    const rejected = subgraphRejection(original);
    if (rejected) return { message: rejected.message, path: formatted.path, extensions: { code: rejected.code } };
    const result = format(formatted, error);
    const message = production ? hideSuggestions(result.message) : result.message;
    const { serviceName: _hidden, ...extensions } = result.extensions ?? {};
    return { ...result, message, extensions };
  };
}

/**
 * A subgraph that refused the request with HTTP 4xx (e.g. a value its custom scalar rejects) said why in its body:
 * its first error, when it carries a client code, is the client's answer.
 */
function subgraphRejection(error: unknown): { message: string; code: string } | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const response = error.extensions.response as
    { status?: number; body?: { errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }> } } | undefined;
  const first = response?.body?.errors?.[0];
  if (!response?.status || response.status < 400 || response.status >= 500 || typeof first?.message !== 'string')
    return undefined;
  const code = first.extensions?.code;
  return typeof code === 'string' && CLIENT_REJECTIONS.has(code) ? { message: first.message, code } : undefined;
}

const CLIENT_REJECTIONS = new Set<string>([ErrorCode.BAD_USER_INPUT, 'BAD_REQUEST', 'GRAPHQL_VALIDATION_FAILED']);

/** Network failures and deadlines on a subgraph call (ours: SubgraphClient; partners': fetch, AbortSignal.timeout). */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof GraphQLError || !(error instanceof Error)) return false;
  return (
    error instanceof SubgraphUnreachableError ||
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (error instanceof TypeError && error.message === 'fetch failed') ||
    error.name === 'FetchError'
  );
}
