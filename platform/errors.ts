import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';

/** Stable error codes clients can switch on (`extensions.code`). */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  OPERATOR_NOT_PAYABLE: 'OPERATOR_NOT_PAYABLE',
  SESSION_NOT_ACTIVE: 'SESSION_NOT_ACTIVE',
  SESSION_NOT_COMPLETED: 'SESSION_NOT_COMPLETED',
  PAYMENT_METHOD_REQUIRED: 'PAYMENT_METHOD_REQUIRED',
  PAYMENT_NOT_REFUNDABLE: 'PAYMENT_NOT_REFUNDABLE',
  REFUND_EXCEEDS_REMAINING: 'REFUND_EXCEEDS_REMAINING',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  PAYMENT_ACTION_REQUIRED: 'PAYMENT_ACTION_REQUIRED',
  PAYMENT_PROVIDER_UNAVAILABLE: 'PAYMENT_PROVIDER_UNAVAILABLE',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  /** The station's charge point is not connected (or missed its heartbeats): it cannot be started or stopped now. */
  CHARGER_UNAVAILABLE: 'CHARGER_UNAVAILABLE',
  /** The charge point did not answer a command in time. */
  CHARGER_TIMEOUT: 'CHARGER_TIMEOUT',
  /** The charge point answered a start or stop with Rejected. */
  CHARGER_REJECTED: 'CHARGER_REJECTED',
  /** A meter value that cannot be true (backwards, or more energy than the connector can deliver in the time). */
  METER_VALUE_IMPLAUSIBLE: 'METER_VALUE_IMPLAUSIBLE',
  /** This service's own database is unreachable or restarting: retry shortly. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes whose message is written for the client and may leave the process as is. */
const CLIENT_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** An error a client caused or can act on. */
export class DomainError extends GraphQLError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message, { extensions: { code, ...details } });
  }
}

export const badInput = (message: string, field?: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : undefined);
export const notFound = (entity: string, id: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${entity} ${id} was not found.`);
export const conflict = (message: string) => new DomainError(ErrorCode.CONFLICT, message);
export const forbidden = (message = 'You are not allowed to do this.') => new DomainError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = 'Sign in to do this.') => new DomainError(ErrorCode.UNAUTHENTICATED, message);

/** A client message and extensions for an error of a lower layer (validation, ORM), or undefined if not one. */
export type LowerLayerErrorMapper = (
  error: unknown,
) => Pick<GraphQLFormattedError, 'message' | 'extensions'> | undefined;

/**
 * Maps errors to what a client may see: DomainErrors and known codes as they are, lower layers through
 * `mapLowerLayer` (subgraphs pass the ORM/validation mapper; the gateway has neither), the rest masked and logged.
 */
export function createErrorFormatter(logger: Logger, mapLowerLayer?: LowerLayerErrorMapper) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

    const lower = mapLowerLayer?.(original);
    if (lower) return { ...base, ...lower };
    if (isDatabaseUnavailable(original)) {
      logger.warn({ err: original, path: formatted.path }, 'database unavailable');
      return {
        ...base,
        message: 'The service cannot reach its database right now; try again shortly.',
        extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...base, extensions };
    }
    // Apollo's own request errors (e.g. a persisted-query hash mismatch) are GraphQLErrors with no code and no
    // path, raised before anything runs; errors a resolver throws always have a path.
    // (By name: Apollo may hold another copy of graphql's classes than ours.)
    if (
      (code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR) &&
      (original as Error | undefined)?.name === 'GraphQLError' &&
      !formatted.path
    ) {
      return { ...base, extensions: { code: 'BAD_REQUEST' } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error');
    return {
      message: 'Internal server error.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/** pg / Node codes of a database that is down, restarting or unreachable (SQLSTATE class 08, 57P01–57P03). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** The error, or what caused it, says the database could not be reached (not that a statement failed). */
function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (
      current.name === 'KnexTimeoutError' ||
      /^Connection terminated|connection is closed|Client has encountered a connection error/i.test(current.message)
    )
      return true;
  }
  return false;
}
