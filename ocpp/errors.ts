import ocppRpc from 'ocpp-rpc';
import { DomainError } from '../platform/errors.js';

// ocpp-rpc spreads its error classes into module.exports, which Node's ESM named imports cannot see (tsx, node):
// take them from the CommonJS object.
export const {
  RPCError,
  TimeoutError,
  RPCGenericError,
  RPCInternalError,
  RPCOccurrenceConstraintViolationError,
  RPCPropertyConstraintViolationError,
} = ocppRpc;
type RPCError = InstanceType<typeof RPCError>;

/** A value the charger may not send (e.g. a connector its station does not have). */
export const propertyViolation = (message: string): RPCError => new RPCPropertyConstraintViolationError(message);

/** A field our handling needs is missing (the spelling of OCPP 2.0.1 and of the 1.6 errata). */
export const occurrenceViolation = (message: string): RPCError => new RPCOccurrenceConstraintViolationError(message);

export const genericError = (message: string): RPCError => new RPCGenericError(message);

/** The platform could not take the message (a service down): the charger keeps it and sends it again. */
export function platformError(error: unknown): RPCError {
  if (error instanceof DomainError) return new RPCInternalError(error.message);
  return new RPCInternalError('The platform could not process this message; try again shortly.');
}

/** The CALLERROR code of an error a handler threw (for metrics and logs). */
export const rpcCode = (error: unknown): string =>
  (error as { rpcErrorCode?: unknown } | null)?.rpcErrorCode?.toString() ?? 'InternalError';
