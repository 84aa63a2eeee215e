import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { InvalidSignatureError, type PaymentProvider, type ProviderEvent } from '../provider/payment-provider.js';
import type { WebhookService } from './webhook.service.js';

export const WEBHOOK_PATH = '/webhooks/stripe';

/**
 * `POST /webhooks/stripe`: the raw body is verified with the SDK (a parsed-and-reserialized body would not match the
 * signature). 400 for a bad or missing signature (nothing is read or written), 200 once applied or ignored, 500
 * when applying failed, so the provider delivers it again.
 */
export function webhookRoutes(provider: PaymentProvider, webhooks: WebhookService, logger: Logger) {
  return (router: Router): void => {
    router.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) return void res.status(400).json({ error: 'empty body' });
      let event: ProviderEvent;
      try {
        event = provider.verifyEvent(body, req.header('stripe-signature'));
      } catch (error) {
        const reason = error instanceof InvalidSignatureError ? error.message : 'unreadable event';
        logger.warn({ reason, ip: req.ip }, 'rejected a webhook delivery');
        return void res.status(400).json({ error: 'invalid signature' });
      }
      try {
        const result = await webhooks.handle(event);
        res.status(200).json({ received: true, result });
      } catch (error) {
        logger.error(
          { err: error, event: event.id, type: event.type },
          'webhook processing failed; the provider will retry',
        );
        res.status(500).json({ error: 'processing failed' });
      }
    });
    // Body-reading failures (too large, aborted, bad encoding) end here, not in express's HTML page with a stack.
    router.use(WEBHOOK_PATH, ((error: { status?: number; type?: string }, req, res, next) => {
      if (res.headersSent) return next(error);
      const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
      if (status === 500) logger.error({ err: error }, 'webhook delivery failed');
      else logger.warn({ reason: error.type, ip: req.ip }, 'rejected an unreadable webhook delivery');
      res.status(status).json({
        error: status === 413 ? 'payload too large' : status === 500 ? 'processing failed' : 'unreadable body',
      });
    }) satisfies ErrorRequestHandler);
  };
}
