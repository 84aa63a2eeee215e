import type { ErrorRequestHandler } from 'express';
import { ErrorCode } from './errors.js';

/** Body-parser failures (bad JSON, too large) answered as GraphQL errors, never express's HTML page. */
export function bodyErrorHandler(limit: string): ErrorRequestHandler {
  return (error: { status?: number; type?: string }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = error.status ?? 500;
    const message =
      error.type === 'entity.too.large'
        ? `The request body is larger than ${limit}.`
        : status < 500
          ? 'The request body is not valid JSON.'
          : 'Internal server error.';
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : ErrorCode.INTERNAL_SERVER_ERROR;
    res.status(status < 500 ? status : 500).json({ errors: [{ message, extensions: { code } }] });
  };
}
