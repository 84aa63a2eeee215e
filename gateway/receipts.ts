import express, { type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { IDENTITY_HEADER, IdentitySigner } from '../platform/identity.js';
import { currentRequestId, forwardedHeaders } from '../platform/observability.js';
import type { TokenVerifier } from './auth.js';

export interface ReceiptProxyOptions {
  verifyToken: TokenVerifier;
  /** The payment subgraph's GraphQL URL; its receipt route lives beside it. */
  paymentUrl: string;
  signingSecret: string;
  timeoutMs: number;
  logger: Logger;
}

const refuse = (res: Response, status: number, code: string, message: string) =>
  void res.status(status).json({ errors: [{ message, extensions: { code } }] });

/** Headers of the subgraph's answer that the client gets. */
const PASSED_HEADERS = ['content-type', 'content-disposition', 'cache-control'];

/**
 * `GET /receipts/<payment id>.pdf` on the gateway: the caller's bearer JWT is verified as for `/graphql` (no token,
 * or one that does not verify: 401), then the call goes to the payment subgraph with the identity signed for it the
 * same way as a GraphQL call (single use, bound to the empty body). The subgraph decides who may read the receipt
 * (the paying driver, the operator's admins, the platform: 403 for anyone else, 404 for no receipt).
 */
export function receiptProxy({
  verifyToken,
  paymentUrl,
  signingSecret,
  timeoutMs,
  logger,
}: ReceiptProxyOptions): Router {
  const signer = new IdentitySigner('gateway', signingSecret);
  const router = express.Router();
  router.get('/receipts/:file', async (req, res) => {
    let identity;
    try {
      identity = await verifyToken(req.headers.authorization);
    } catch {
      return refuse(res, 401, 'UNAUTHENTICATED', 'The token is invalid or has expired.');
    }
    if (!identity.role) return refuse(res, 401, 'UNAUTHENTICATED', 'Sign in to read a receipt.');
    const target = new URL(`/receipts/${encodeURIComponent(req.params.file)}`, paymentUrl);
    try {
      const upstream = await fetch(target, {
        headers: { [IDENTITY_HEADER]: signer.sign(identity, ''), ...forwardedHeaders(currentRequestId()) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      res.status(upstream.status).setHeader('x-content-type-options', 'nosniff');
      for (const name of PASSED_HEADERS) {
        const value = upstream.headers.get(name);
        if (value) res.setHeader(name, value);
      }
      res.send(body);
    } catch (error) {
      logger.warn({ err: error }, 'receipt: the payment subgraph did not answer');
      refuse(res, 503, 'UPSTREAM_UNAVAILABLE', 'The payment service did not answer; try again shortly.');
    }
  });
  return router;
}
