import type { JsonObject } from './json.js';

export type ErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface ErrorFields {
  type: ErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  charge?: string;
  payment_intent?: JsonObject;
  payment_method?: JsonObject;
}

/**
 * A Stripe-shaped API error. `phase: 'validation'` marks errors raised before the endpoint began
 * executing (malformed or unknown parameters): Stripe does not save those under an idempotency key.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly fields: ErrorFields,
    readonly phase: 'validation' | 'execution' = 'execution',
  ) {
    super(fields.message);
    this.name = 'ApiError';
  }

  toBody(): JsonObject {
    return { error: this.errorObject() };
  }

  /** The inner `error` object (also what Stripe stores as a PaymentIntent's `last_payment_error`). */
  errorObject(): JsonObject {
    const error: JsonObject = { type: this.fields.type, message: this.fields.message };
    const { code, param, decline_code, charge, payment_intent, payment_method } = this.fields;
    if (code !== undefined) {
      error.code = code;
      error.doc_url = `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;
    }
    if (param !== undefined) error.param = param;
    if (decline_code !== undefined) error.decline_code = decline_code;
    if (charge !== undefined) error.charge = charge;
    if (payment_intent !== undefined) error.payment_intent = payment_intent;
    if (payment_method !== undefined) error.payment_method = payment_method;
    return error;
  }
}

export function invalidRequest(
  message: string,
  extra: { code?: string; param?: string; status?: number } = {},
): ApiError {
  return new ApiError(extra.status ?? 400, {
    type: 'invalid_request_error',
    message,
    code: extra.code,
    param: extra.param,
  });
}

export function invalidParam(param: string, message: string, code?: string): ApiError {
  return new ApiError(400, { type: 'invalid_request_error', message, param, code }, 'validation');
}

/** `No such <kind>: 'id'`; 404 for an object named in the path, 400 for one named in a parameter. */
export function resourceMissing(kind: string, id: string, param: string, status: 404 | 400 = 404): ApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, { code: 'resource_missing', param, status });
}

export function unexpectedState(message: string): ApiError {
  return invalidRequest(message, { code: 'payment_intent_unexpected_state' });
}

export function unsupportedByEmulator(param: string): ApiError {
  return invalidRequest(`The Stripe emulator does not support the \`${param}\` parameter.`, { param });
}

export function unrecognizedUrl(method: string, path: string): ApiError {
  return invalidRequest(
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    { status: 404 },
  );
}

export function platformOnly(): ApiError {
  return invalidRequest('This request can only be made by the platform, without a Stripe-Account header.', {
    code: 'platform_account_required',
  });
}

export function idempotencyKeyInUse(key: string): ApiError {
  return new ApiError(409, {
    type: 'invalid_request_error',
    code: 'idempotency_key_in_use',
    message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
  });
}

export function idempotencyParamsMismatch(key: string): ApiError {
  return new ApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function idempotencyEndpointMismatch(key: string, original: string, current: string): ApiError {
  return new ApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${original}' vs '${current}'). Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function internalError(): ApiError {
  return new ApiError(500, { type: 'api_error', message: 'An unexpected error occurred in the Stripe emulator.' });
}
